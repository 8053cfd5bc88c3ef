// A separate OS process that allocates subnets for `count` clusters at once,
// after the parent says "go" on stdin (so that all workers really overlap).
// Usage: node allocate-worker.cjs <storeDir | store spec JSON> <slice> <clusterPrefix> <count>
const path = require("node:path");
const dist = path.resolve(__dirname, "../../dist/provider");
const { openStore } = require(path.join(dist, "store/store-spec.js"));
const { allocateSubnet } = require(path.join(dist, "service/allocations.js"));
const { settledStoreWork } = require(path.join(dist, "store/exit-hold.js"));

const [where, slice, prefix, countText] = process.argv.slice(2);
const store = openStore(where.startsWith("{") ? JSON.parse(where) : { kind: "file", directory: where });
const counted = require("./count-conflicts.cjs").countConflicts(store);
process.stdout.write("ready\n");
process.stdin.once("data", async () => {
    const clusters = Array.from({ length: Number(countText) }, (_, i) => `${prefix}-${i}`);
    try {
        const results = await Promise.all(clusters.map((cluster) => allocateSubnet(store, slice, cluster)));
        process.stdout.write(JSON.stringify(results.map((r) => r.allocation)) + "\n");
        process.stdout.write(JSON.stringify({ conflicts: counted.conflicts }) + "\n");
        // What the store does after its callers have their results (the status projection, replaced shards) first.
        await settledStoreWork();
        process.exit(0);
    } catch (error) {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    }
});
