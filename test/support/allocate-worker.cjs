// A separate OS process that allocates subnets for `count` clusters at once,
// after the parent says "go" on stdin (so that all workers really overlap).
// Usage: node allocate-worker.cjs <storeDir | store spec JSON> <slice> <clusterPrefix> <count>
const path = require("node:path");
const dist = path.resolve(__dirname, "../../dist/provider");
const { openStore } = require(path.join(dist, "store/store-spec.js"));
const { allocateSubnet } = require(path.join(dist, "service/allocations.js"));

const [where, slice, prefix, countText] = process.argv.slice(2);
const store = openStore(where.startsWith("{") ? JSON.parse(where) : { kind: "file", directory: where });
// Lost compare-and-swap races, as this process saw them: the ledger's conflicts counter must add up to them.
let conflicts = 0;
const compareAndSwap = store.compareAndSwap.bind(store);
store.compareAndSwap = async (...args) => {
    const result = await compareAndSwap(...args);
    conflicts += result.ok ? 0 : 1;
    return result;
};
process.stdout.write("ready\n");
process.stdin.once("data", async () => {
    const clusters = Array.from({ length: Number(countText) }, (_, i) => `${prefix}-${i}`);
    try {
        const results = await Promise.all(clusters.map((cluster) => allocateSubnet(store, slice, cluster)));
        process.stdout.write(JSON.stringify(results.map((r) => r.allocation)) + "\n");
        process.stdout.write(JSON.stringify({ conflicts }) + "\n");
        process.exit(0);
    } catch (error) {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    }
});
