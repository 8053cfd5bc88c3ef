// One OS process of the torture suite: `lanes` concurrent loops, each owning
// its clusters, allocating and releasing at random in one slice through the
// built service layer, exactly as a provider process does. Every
// acknowledged operation is appended to a journal before the next starts,
// so `kill -9` never loses an acknowledgement that was made.
// Usage: node torture-worker.cjs '<json settings>'
const fs = require("node:fs");
const path = require("node:path");
const dist = path.resolve(__dirname, "../../dist/provider");
const { FileLedgerStore } = require(path.join(dist, "store/file-store.js"));
const { allocateSubnet, releaseSubnet } = require(path.join(dist, "service/allocations.js"));

const settings = JSON.parse(process.argv[2]);
let pausedOnce = false;
// Stops this process once at the named point of its first write, holding the lock: a frozen writer.
const stopOnce = async () => {
    if (!pausedOnce) {
        pausedOnce = true;
        process.kill(process.pid, "SIGSTOP");
    }
};
const store = new FileLedgerStore(settings.directory, {
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
    for (let op = 0; op < settings.opsPerLane; op++) {
        const cluster = clusters[Math.floor(random() * clusters.length)];
        const action = random() < settings.releaseRatio ? "release" : "allocate";
        // Recorded before the call: a process killed after its write but before the acknowledgement
        // leaves this operation pending, and either outcome is then correct.
        record({ op: action, cluster, started: true });
        try {
            if (action === "allocate") {
                const { allocation } = await allocateSubnet(store, settings.slice, cluster);
                record({ op: "allocate", cluster, subnet: allocation.subnet, index: allocation.index });
            } else {
                await releaseSubnet(store, settings.slice, cluster);
                record({ op: "release", cluster });
            }
        } catch (error) {
            record({ op: action, cluster, error: error.name, message: error.message });
        }
    }
}

process.stdout.write("ready\n");
Promise.all(Array.from({ length: settings.lanes }, (_, i) => lane(i))).then(
    () => process.exit(0),
    (error) => {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    },
);
