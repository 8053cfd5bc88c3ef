// A separate OS process that syncs a slice's usage from its WorkerSliceConfigs
// in a loop, from "go" until "stop" on stdin, so that its compare-and-swaps
// race with the writers of the parent process.
// Usage: node usage-worker.cjs <store spec JSON> <slice>
// Prints "ready", then on stop one JSON line: { rounds, conflicts, marked }.
const path = require("node:path");
const dist = path.resolve(__dirname, "../../dist/provider");
const { openStore, usageSourceOf } = require(path.join(dist, "store/store-spec.js"));
const { syncUsage } = require(path.join(dist, "service/usage.js"));
const { settledStoreWork } = require(path.join(dist, "store/exit-hold.js"));

const [spec, slice] = process.argv.slice(2);
const store = openStore(JSON.parse(spec));
const counted = require("./count-conflicts.cjs").countConflicts(store);
let stopping = false;
process.stdout.write("ready\n");
process.stdin.on("data", async (chunk) => {
    if (String(chunk).includes("stop")) {
        stopping = true;
        return;
    }
    let rounds = 0;
    const marked = [];
    try {
        while (!stopping) {
            const result = await syncUsage(store, usageSourceOf(store), slice);
            marked.push(...result.clusters.filter((c) => c.outcome === "marked-in-use").map((c) => c.clusterName));
            rounds++;
        }
        process.stdout.write(JSON.stringify({ rounds, conflicts: counted.conflicts, marked }) + "\n");
        await settledStoreWork();
        process.exit(0);
    } catch (error) {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    }
});
