// A separate OS process whose store finishes work after its caller is settled (as the Kubernetes store's
// status projection does), to be stopped with a signal as the Pulumi engine stops a provider.
// Usage: node exit-hold-worker.cjs <marker file> [--signal-during-burst] [--long-delay]
// The store's afterBurst writes the marker 100 ms after the caller has its result; with --signal-during-burst the
// process sends itself SIGINT as that work starts. Otherwise it waits, alive, for a signal.
const fs = require("node:fs");
const { setTimeout: sleep } = require("node:timers/promises");
const path = require("node:path");
const dist = path.resolve(__dirname, "../../dist/provider");
const { newLedger } = require(path.join(dist, "core/ledger.js"));
const { sliceSpecSchema } = require(path.join(dist, "core/validation.js"));
const { updateLedger } = require(path.join(dist, "store/update-ledger.js"));
const { delayUnlessHurried } = require(path.join(dist, "store/exit-hold.js"));

// In memory: no lock library is loaded, so nothing but the hold under test handles a signal in this process.
const [marker] = process.argv.slice(2);
let stored = { ledger: newLedger(sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }), new Date()), version: "1" };
const store = {
    description: "memory store",
    key: "memory",
    load: async () => stored,
    list: async () => [stored],
    listEach: async () => [],
    compareAndSwap: async (_slice, version, next) => {
        if (version !== stored.version) return { ok: false, conflict: true };
        stored = { ledger: next, version: String(Number(version) + 1) };
        return { ok: true };
    },
    afterBurst: async () => {
        if (process.argv.includes("--signal-during-burst")) {
            // As the engine does once the last caller has its result: the signal arrives while this work runs.
            process.kill(process.pid, "SIGINT");
        }
        // With --long-delay, as the status projection waits to share its write: longer than the hold allows.
        await (process.argv.includes("--long-delay") ? delayUnlessHurried(600_000) : sleep(100));
        fs.writeFileSync(marker, "projection written\n");
    },
};
updateLedger(store, "blue", (current) => ({ ledger: { ...current, registeredAt: "2026-02-02T00:00:00.000Z" }, result: "ok" })).then(
    (result) => process.stdout.write(`settled ${result}\n`),
    (error) => {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    },
);
// Keeps the process alive until a signal ends it, as a provider process waits for the engine.
process.stdin.resume();
