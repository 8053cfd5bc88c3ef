// One OS process of the torture suite: `lanes` concurrent loops, each owning
// its clusters, allocating and releasing at random in one slice through the
// built service layer, exactly as a provider process does. Every
// acknowledged operation is appended to a journal before the next starts,
// so `kill -9` never loses an acknowledgement that was made.
// Usage: node torture-worker.cjs '<json settings>'
const fs = require("node:fs");
const path = require("node:path");
const { performance } = require("node:perf_hooks");
const dist = path.resolve(__dirname, "../../dist/provider");
const { FileLedgerStore } = require(path.join(dist, "store/file-store.js"));
const { openStore } = require(path.join(dist, "store/store-spec.js"));
const { allocateSubnet, releaseSubnet, findSubnet } = require(path.join(dist, "service/allocations.js"));
const { settledStoreWork } = require(path.join(dist, "store/exit-hold.js"));

const settings = JSON.parse(process.argv[2]);
let pausedOnce = false;
// Stops this process once at the named point of its first write, holding the lock: a frozen writer.
const stopOnce = async () => {
    if (!pausedOnce) {
        pausedOnce = true;
        process.kill(process.pid, "SIGSTOP");
    }
};
// `settings.store`: a store spec (the Kubernetes store); otherwise the file store in `settings.directory`.
const store =
    settings.store !== undefined
        ? openStore(settings.store)
        : new FileLedgerStore(settings.directory, {
              staleLockMs: settings.staleLockMs,
              lockWaitMs: settings.lockWaitMs,
              hooks: settings.stopAt === undefined ? undefined : { [settings.stopAt]: stopOnce },
          });

let seed = settings.seed >>> 0 || 1;
function random() {
    // xorshift32: reproducible per seed, independent of Math.random.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
}

const journal = fs.openSync(settings.journal, "a");
function record(entry) {
    fs.writeSync(journal, `${JSON.stringify(entry)}\n`);
}

async function lane(index) {
    const clusters = Array.from({ length: settings.clustersPerLane }, (_, j) => `${settings.prefix}-l${index}-c${j}`);
    // What this lane has seen acknowledged: a read of such a cluster must find it (grace periods outlast a run).
    const acknowledged = new Set();
    for (let op = 0; op < settings.opsPerLane; op++) {
        const cluster = clusters[Math.floor(random() * clusters.length)];
        const draw = random();
        const action = draw < (settings.readRatio ?? 0) ? "read" : random() < settings.releaseRatio ? "release" : "allocate";
        if (action === "read") {
            try {
                const found = await findSubnet(store, settings.slice, cluster);
                record({ op: "read", cluster, expected: acknowledged.has(cluster), found: found !== undefined, subnet: found?.subnet });
            } catch (error) {
                record({ op: "read", cluster, error: error.name, message: error.message });
            }
            continue;
        }
        // Recorded before the call: a process killed after its write but before the acknowledgement
        // leaves this operation pending, and either outcome is then correct.
        record({ op: action, cluster, started: true });
        const started = performance.now();
        const ms = () => Math.round(performance.now() - started);
        try {
            if (action === "allocate") {
                const { allocation } = await allocateSubnet(store, settings.slice, cluster);
                acknowledged.add(cluster);
                record({ op: "allocate", cluster, subnet: allocation.subnet, index: allocation.index, ms: ms() });
            } else {
                await releaseSubnet(store, settings.slice, cluster);
                record({ op: "release", cluster, ms: ms() });
            }
        } catch (error) {
            record({ op: action, cluster, error: error.name, message: error.message });
        }
    }
}

process.stdout.write("ready\n");
Promise.all(Array.from({ length: settings.lanes }, (_, i) => lane(i))).then(
    () => settledStoreWork().then(() => process.exit(0)),
    (error) => {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    },
);
