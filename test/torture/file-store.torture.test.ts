/**
 * The file store under faults: many processes, `kill -9`, a frozen lock
 * holder, a slice deleted and registered again under a waiting writer, edits
 * that keep the revision, fuzzed inputs straight into `create`, and hostile
 * store states. Every scenario ends with the detectors of ./detectors.ts.
 *
 * `npm test` runs the quick form; `npm run torture` the full one
 * (TORTURE_SCALE=full: ≥ 10,000 operations at 8 processes × 3 concurrent
 * operations, 50 kill rounds, 10,000 fuzzed inputs per entry point).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice, unregisterSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { CorruptLedgerError } from "../../provider/store/ledger-document";
import { makeTempDir } from "../support/temp-dir";
import { completed, journalsIn, killRounds, startWorker } from "./worker-runs";
import {
    allViolations,
    duplicateSubnets,
    giveUps,
    inconsistentAcknowledgements,
    JournalEntry,
    lostAcknowledgements,
    historyMismatches,
    parseJournal,
    StoredEntry,
    StoredEvent,
    Violation,
} from "./detectors";

// The history detector replays a slice's whole history: keep all of it (the workers inherit this).
process.env.KUBESLICE_IPAM_HISTORY_MAX_EVENTS = "10000000";

const FULL = process.env.TORTURE_SCALE === "full";
const SCALE = FULL
    ? { processes: 8, lanes: 3, opsPerLane: 420, killRounds: 50, fuzzRuns: 10_000 }
    : { processes: 4, lanes: 3, opsPerLane: 40, killRounds: 6, fuzzRuns: 600 };

interface Figures {
    scenario: string;
    operations: number;
    rounds: number;
    inputs: number;
    violations: number;
    giveUps: number;
}
const figures: Figures[] = [];

function report(row: Partial<Figures> & { scenario: string }, violations: readonly Violation[]): void {
    const full: Figures = { operations: 0, rounds: 0, inputs: 0, giveUps: 0, ...row, violations: violations.length };
    full.giveUps = violations.filter((v) => v.detector === "give-up").length;
    figures.push(full);
}

let temp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
    temp = makeTempDir("kubeslice-ipam-torture-");
});
afterAll(() => {
    const lines = figures.map(
        (f) =>
            `  ${f.scenario.padEnd(34)} operations ${String(f.operations).padStart(6)}  rounds ${String(f.rounds).padStart(3)}  ` +
            `inputs ${String(f.inputs).padStart(6)}  violations ${f.violations}  give-ups ${f.giveUps}`,
    );
    console.log(`torture (${FULL ? "full" : "quick"} form):\n${lines.join("\n")}`);
    temp.remove();
});

interface WorkerSettings {
    directory: string;
    slice: string;
    prefix: string;
    journal: string;
    lanes: number;
    opsPerLane: number;
    clustersPerLane: number;
    releaseRatio: number;
    seed: number;
    staleLockMs?: number;
    lockWaitMs?: number;
    stopAt?: "beforeCompare" | "beforePublish";
}

/** Resolves once the process is stopped (state T in /proc): deterministic, no sleep. */
async function stopped(pid: number): Promise<void> {
    for (;;) {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("T")) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}

async function storedEntries(directory: string, slice: string): Promise<StoredEntry[]> {
    return [...((await new FileLedgerStore(directory).load(slice))?.ledger.allocations ?? [])];
}

async function storedHistory(directory: string, slice: string): Promise<StoredEvent[]> {
    return [...((await new FileLedgerStore(directory).load(slice))?.ledger.history ?? [])];
}

async function registered(slice: string, sliceSubnet = "10.9.0.0/16"): Promise<string> {
    const directory = path.join(temp.dir, slice);
    await registerSlice(new FileLedgerStore(directory), sliceSpecSchema.parse({ sliceName: slice, sliceSubnet }));
    return directory;
}

function settingsFor(directory: string, slice: string, prefix: string, overrides: Partial<WorkerSettings> = {}): WorkerSettings {
    return {
        directory,
        slice,
        prefix,
        journal: path.join(directory, `..`, `${slice}-${prefix}.journal`),
        lanes: SCALE.lanes,
        opsPerLane: SCALE.opsPerLane,
        clustersPerLane: 8,
        releaseRatio: 0.3,
        seed: [...prefix].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) >>> 0, 7),
        ...overrides,
    };
}

describe("file store torture", () => {
    it(`soak: ${SCALE.processes} processes × ${SCALE.lanes} concurrent operations, no duplicate, no lost acknowledgement, no give-up`, async () => {
        const directory = await registered("soak");
        const settings = Array.from({ length: SCALE.processes }, (_, i) => settingsFor(directory, "soak", `p${i}`));
        const workers = settings.map(startWorker);
        await Promise.all(workers.map((w) => w.ready));
        const results = await Promise.all(workers.map((w) => w.exited));
        for (const result of results) {
            expect(result).toEqual({ code: 0, stderr: "" });
        }
        const journal = journalsIn(settings.map((s) => s.journal));
        const violations = allViolations(journal, await storedEntries(directory, "soak"), await storedHistory(directory, "soak"));
        report({ scenario: "soak", operations: completed(journal).length }, violations);
        expect(completed(journal).length).toBe(SCALE.processes * SCALE.lanes * SCALE.opsPerLane);
        expect(completed(journal).filter((entry) => entry.error !== undefined)).toEqual([]);
        expect(violations).toEqual([]);
    });

    it(`kill -9: ${SCALE.killRounds} rounds of a writer killed at a random moment beside a live one`, async () => {
        const directory = await registered("killed");
        const journals = await killRounds(
            SCALE.killRounds,
            { min: 20, max: 400 },
            (round) => ({
                victim: settingsFor(directory, "killed", `k${round}`, { lanes: 3, opsPerLane: 1_000, clustersPerLane: 1 }),
                survivor: settingsFor(directory, "killed", `s${round}`, { lanes: 1, opsPerLane: 20, clustersPerLane: 1 }),
            }),
            (survivor) => expect(survivor.code).toBe(0),
        );
        const journal = journalsIn(journals);
        const operations = completed(journal).length;
        const violations = allViolations(journal, await storedEntries(directory, "killed"), await storedHistory(directory, "killed"));
        report({ scenario: "kill -9", operations, rounds: SCALE.killRounds }, violations);
        expect(violations).toEqual([]);
    });

    it("a writer frozen (SIGSTOP) between its check and its publish, holding the lock: others go on; on SIGCONT it loses the race and retries", async () => {
        const directory = await registered("frozen");
        const frozen = settingsFor(directory, "frozen", "f", {
            lanes: 1,
            opsPerLane: 5,
            releaseRatio: 0,
            stopAt: "beforePublish",
            staleLockMs: 2_000,
            lockWaitMs: 500,
        });
        const others = settingsFor(directory, "frozen", "o", { lanes: 3, opsPerLane: 10, staleLockMs: 2_000, lockWaitMs: 500 });
        const f = startWorker(frozen);
        await stopped(f.child.pid!);
        const o = startWorker(others);
        expect(await o.exited).toEqual({ code: 0, stderr: "" }); // finished while the holder was frozen
        f.child.kill("SIGCONT");
        expect(await f.exited).toEqual({ code: 0, stderr: "" });
        const journal = journalsIn([frozen.journal, others.journal]);
        const violations = allViolations(journal, await storedEntries(directory, "frozen"), await storedHistory(directory, "frozen"));
        report({ scenario: "frozen lock holder", operations: completed(journal).length, rounds: 1 }, violations);
        expect(violations).toEqual([]);
    });

    it("a slice deleted and registered again while a writer waits: the waiter never writes over the new slice", async () => {
        const directory = await registered("reborn", "10.6.0.0/16");
        const store = new FileLedgerStore(directory);
        await allocateSubnet(store, "reborn", "x");
        await releaseSubnet(store, "reborn", "x");
        const waiter = settingsFor(directory, "reborn", "p", {
            lanes: 1,
            opsPerLane: 1,
            clustersPerLane: 1,
            releaseRatio: 0,
            stopAt: "beforePublish",
        });
        const p = startWorker(waiter);
        await stopped(p.child.pid!);
        await unregisterSlice(store, "reborn");
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "reborn", sliceSubnet: "10.6.0.0/16" }));
        const ours: JournalEntry[] = [];
        for (const cluster of ["q-0", "q-1"]) {
            const { allocation } = await allocateSubnet(store, "reborn", cluster);
            ours.push({ op: "allocate", cluster, subnet: allocation.subnet, index: allocation.index });
        }
        p.child.kill("SIGCONT");
        expect(await p.exited).toEqual({ code: 0, stderr: "" });
        const journal = [...ours, ...journalsIn([waiter.journal])];
        const entries = await storedEntries(directory, "reborn");
        const violations = allViolations(journal, entries, await storedHistory(directory, "reborn"));
        report({ scenario: "delete/re-register race", operations: completed(journal).length, rounds: 1 }, violations);
        expect(violations).toEqual([]);
        expect(entries.map((e) => [e.clusterName, e.subnet])).toEqual([
            ["q-0", "10.6.0.0/24"],
            ["q-1", "10.6.1.0/24"],
            ["p-l0-c0", "10.6.2.0/24"],
        ]);
    });

    it("edits that keep the revision while a writer waits for the lock: a valid edit is kept, a corrupt one refused and left untouched", async () => {
        const directory = await registered("edited", "10.7.0.0/16");
        const store = new FileLedgerStore(directory);
        let violations: Violation[] = [];
        for (const edit of ["valid", "corrupt"] as const) {
            const waiter = settingsFor(directory, "edited", `w-${edit}`, {
                lanes: 1,
                opsPerLane: 1,
                clustersPerLane: 1,
                releaseRatio: 0,
                stopAt: "beforeCompare",
            });
            const w = startWorker(waiter);
            await stopped(w.child.pid!);
            const file = (await store.currentFile("edited"))!;
            const document = JSON.parse(readFileSync(file, "utf8"));
            const text =
                edit === "valid" ? JSON.stringify({ ...document, spec: { ...document.spec, gracePeriodSeconds: 7_200 } }, null, 2) : '{"truncated';
            writeFileSync(file, text);
            w.child.kill("SIGCONT");
            expect((await w.exited).code).toBe(0);
            const journal = journalsIn([waiter.journal]);
            if (edit === "valid") {
                const ledger = (await store.load("edited"))!.ledger;
                expect(ledger.spec.gracePeriodSeconds).toBe(7_200);
                violations = violations.concat(allViolations(journal, [...ledger.allocations], ledger.history ?? []));
            } else {
                expect(completed(journal)).toMatchObject([{ op: "allocate", error: "CorruptLedgerError" }]);
                expect(readFileSync(file, "utf8")).toBe(text);
                await expect(store.load("edited")).rejects.toThrow(CorruptLedgerError);
            }
        }
        report({ scenario: "same-revision edits", rounds: 2 }, violations);
        expect(violations).toEqual([]);
    });

    it(`fuzzed inputs: ${SCALE.fuzzRuns} through check and ${SCALE.fuzzRuns} straight into create, per resource; nothing invalid reaches the store`, async () => {
        const root = path.join(temp.dir, "fuzz");
        const storeDir = path.join(root, "store");
        await registerSlice(new FileLedgerStore(storeDir), sliceSpecSchema.parse({ sliceName: "fz", sliceSubnet: "10.8.0.0/16" }));
        const anyValue = fc.oneof(
            fc.string(),
            fc.integer(),
            fc.double(),
            fc.boolean(),
            fc.constant(null),
            fc.constant(undefined),
            fc.array(fc.string(), { maxLength: 2 }),
            fc.object({ maxDepth: 1 }),
        );
        const name = fc.oneof(fc.constantFrom("fz", "c-1", "Bad_Name", "", "-x", "a".repeat(64), "../x", "a\u0000b"), anyValue);
        const store = fc.oneof(
            fc.constant(undefined),
            fc.constant({ kind: "file", directory: storeDir }),
            fc.constantFrom(
                { kind: "s3" },
                { directory: storeDir },
                "file",
                { kind: "file", directory: "" },
                { kind: "file", directory: `${storeDir}\u0000x` },
                { kind: "file", directory: storeDir, extra: 1 },
            ),
            anyValue,
        );
        const sliceInputs = fc.record(
            {
                sliceName: name,
                sliceSubnet: fc.oneof(
                    fc.constantFrom("10.8.0.0/16", "10.20.0.0/16", "fd00::/48", "8.8.8.0/24", "10.1.0.1/16", "10.0.0.0/7"),
                    anyValue,
                ),
                subnetSize: fc.oneof(fc.constantFrom(24, 24.5, 31, 16, 8, Number.NaN, 1e21), anyValue),
                gracePeriodSeconds: fc.oneof(fc.constantFrom(0, 60, -1, 1e21, 0.5), anyValue),
                maxClusters: fc.oneof(fc.constantFrom(1, 0, 4096, 4097, -3), anyValue),
                store,
            },
            { requiredKeys: [] },
        );
        const allocationInputs = fc.record(
            {
                sliceName: fc.oneof(fc.constant("fz"), name),
                clusterName: name,
                requestedSubnet: fc.oneof(fc.constantFrom("10.8.3.0/24", "10.8.3.0/25", "10.9.0.0/24", "banana"), anyValue),
                requestedSubnetIsPlan: fc.oneof(fc.constantFrom(true, false, "yes", 1, 0), anyValue),
                store,
            },
            { requiredKeys: [] },
        );
        const violations: Violation[] = [];
        let inputs = 0;
        const fuzz = async (resource: "sliceIpam" | "subnetAllocation", props: Record<string, unknown>) => {
            inputs += 2;
            const provider = handlers[resource];
            let failures: unknown[];
            try {
                failures = (await provider.check({}, props)).failures ?? [];
            } catch (error) {
                violations.push({ detector: "check-threw", detail: `${resource} ${JSON.stringify(props)}: ${(error as Error).message}` });
                return;
            }
            // Only inputs that point at the fuzz store (or nowhere: then cwd) are written; keep the default store out of the repo.
            const spec = props.store as { directory?: unknown } | undefined;
            if (spec === undefined || (typeof spec === "object" && spec !== null && spec.directory !== storeDir)) {
                if (failures.length === 0) {
                    return;
                }
            }
            let created = false;
            try {
                await provider.create(props);
                created = true;
            } catch (error) {
                if (!["InvalidInputsError", "IpamError"].includes((error as Error).name)) {
                    violations.push({
                        detector: "create-error",
                        detail: `${resource} ${JSON.stringify(props)}: ${(error as Error).name}: ${(error as Error).message}`,
                    });
                }
            }
            if (created && failures.length > 0) {
                violations.push({ detector: "create-accepted-what-check-refused", detail: `${resource} ${JSON.stringify(props)}` });
            }
            try {
                await new FileLedgerStore(storeDir).list();
            } catch (error) {
                violations.push({ detector: "invalid-write", detail: `${resource} ${JSON.stringify(props)} left: ${(error as Error).message}` });
            }
        };
        await fc.assert(
            fc.asyncProperty(sliceInputs, async (props) => fuzz("sliceIpam", props)),
            { numRuns: SCALE.fuzzRuns, seed: 7 },
        );
        await fc.assert(
            fc.asyncProperty(allocationInputs, async (props) => fuzz("subnetAllocation", props)),
            { numRuns: SCALE.fuzzRuns, seed: 8 },
        );
        report({ scenario: "fuzzed inputs", inputs }, violations);
        expect(violations.slice(0, 5)).toEqual([]);
    });

    it("hostile store states: missing, read-only, full, hand-edited, a symbolic link", async () => {
        const violations: Violation[] = [];
        const expectFailure = async (state: string, run: () => Promise<unknown>, pattern: RegExp) => {
            const error = await run().then(
                () => undefined,
                (e: Error) => e,
            );
            if (error === undefined || !pattern.test(error.message)) {
                violations.push({ detector: "hostile-store", detail: `${state}: ${error === undefined ? "succeeded" : error.message}` });
            }
        };
        const spec = sliceSpecSchema.parse({ sliceName: "h", sliceSubnet: "10.5.0.0/16" });
        const missing = new FileLedgerStore(path.join(temp.dir, "hostile-missing"));
        await expectFailure("missing", () => allocateSubnet(missing, "h", "c"), /does not exist; a missing store is never read as an empty one/);
        await expectFailure(
            "missing (refresh)",
            () => handlers.subnetAllocation.read("h/c", { sliceName: "h", clusterName: "c", store: { kind: "file", directory: missing.directory } }),
            /does not exist/,
        );

        const mountPoint = path.join(temp.dir, "hostile-mnt");
        mkdirSync(mountPoint);
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", mountPoint]);
        try {
            const small = new FileLedgerStore(mountPoint);
            await registerSlice(small, spec);
            // Allocated before the disk fills, so the read-only round below has a real write to refuse.
            await allocateSubnet(small, "h", "kept");
            const fill = Array.from({ length: 60 }, (_, i) => `a-cluster-name-that-takes-room-${i}`);
            await expectFailure(
                "full",
                () => Promise.all(fill.map((cluster) => allocateSubnet(small, "h", cluster))),
                /ENOSPC.*Nothing was written; the disk is full/,
            );
            expect(duplicateSubnets(await storedEntries(mountPoint, "h"))).toEqual([]);
            execFileSync("mount", ["-o", "remount,ro", mountPoint]);
            await expectFailure("read-only", () => releaseSubnet(small, "h", "kept"), /EROFS.*mounted read-only/);
        } finally {
            execFileSync("umount", [mountPoint]);
        }

        const edited = await registered("hostile-edit", "10.4.0.0/16").then((dir) => new FileLedgerStore(dir));
        await allocateSubnet(edited, "hostile-edit", "a");
        const file = (await edited.currentFile("hostile-edit"))!;
        const document = JSON.parse(readFileSync(file, "utf8"));
        document.allocations.push({ ...document.allocations[0], clusterName: "b" });
        writeFileSync(file, JSON.stringify(document));
        await expectFailure("hand-edited", () => allocateSubnet(edited, "hostile-edit", "c"), /is not a valid slice ledger and was left untouched/);
        expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(document);

        const linked = path.join(temp.dir, "hostile-link");
        mkdirSync(linked);
        execFileSync("ln", ["-s", path.join(temp.dir, "hostile-edit", "hostile-edit"), path.join(linked, "h")]);
        await expectFailure("symbolic link", () => new FileLedgerStore(linked).load("h"), /is a symbolic link; the file store refuses links/);
        report({ scenario: "hostile store states", rounds: 6 }, violations);
        expect(violations).toEqual([]);
    });

    it("every detector fails on a deliberately corrupted ledger or journal", () => {
        const good: StoredEntry[] = [
            { clusterName: "a", subnet: "10.1.0.0/24", index: 0, status: "Allocated" },
            { clusterName: "b", subnet: "10.1.1.0/24", index: 1, status: "Released" },
        ];
        const journal: JournalEntry[] = [
            { op: "allocate", cluster: "a", subnet: "10.1.0.0/24", index: 0 },
            { op: "allocate", cluster: "b", subnet: "10.1.1.0/24", index: 1 },
            { op: "release", cluster: "b" },
        ];
        expect(allViolations(journal, good)).toEqual([]);
        const history: StoredEvent[] = [
            { action: "registered" },
            { action: "allocated", clusterName: "a", subnet: "10.1.0.0/24", from: "Available", to: "Allocated" },
            { action: "allocated", clusterName: "b", subnet: "10.1.1.0/24", from: "Available", to: "Allocated" },
            { action: "released", clusterName: "b", subnet: "10.1.1.0/24", from: "Allocated", to: "Released" },
        ];
        expect(allViolations(journal, good, history)).toEqual([]);
        // An event without its change, a change without its event, an event that skips a state.
        expect(historyMismatches([good[0], { ...good[1], status: "Allocated" }], history).map((v) => v.detector)).toEqual(["history-mismatch"]);
        expect(historyMismatches(good, history.slice(0, 3)).length).toBe(1);
        expect(historyMismatches(good, [...history.slice(0, 2), history[3]]).length).toBeGreaterThan(0);
        // A trimmed history is checked for what it holds: its first kept event per cluster sets the start.
        expect(historyMismatches(good, history.slice(3))).toEqual([]);
        expect(historyMismatches([good[0], { ...good[1], status: "Allocated" }], history.slice(3)).length).toBe(1);
        expect(duplicateSubnets([good[0], { ...good[1], subnet: good[0].subnet, index: 0 }]).length).toBe(1);
        expect(lostAcknowledgements(journal, [good[1]]).map((v) => v.detector)).toEqual(["lost-acknowledgement"]);
        expect(lostAcknowledgements(journal, [good[0], { ...good[1], status: "Allocated" }]).length).toBe(1);
        expect(lostAcknowledgements(journal, [{ ...good[0], subnet: "10.1.9.0/24" }, good[1]]).length).toBe(1);
        expect(inconsistentAcknowledgements([...journal, { op: "allocate", cluster: "a", subnet: "10.1.5.0/24" }]).map((v) => v.detector)).toEqual([
            "moved-subnet",
        ]);
        expect(inconsistentAcknowledgements([...journal, { op: "allocate", cluster: "c", subnet: "10.1.0.0/24" }]).map((v) => v.detector)).toEqual([
            "subnet-handed-twice",
        ]);
        expect(giveUps([...journal, { op: "allocate", cluster: "d", error: "LedgerConflictError", message: "gave up" }]).length).toBe(1);
        // A pending (started, never acknowledged) operation allows either outcome, but never another subnet.
        const pendingRelease: JournalEntry[] = [...journal.slice(0, 2), { op: "release", cluster: "a", started: true }];
        expect(
            lostAcknowledgements(pendingRelease, [
                { ...good[0], status: "Released" },
                { ...good[1], status: "Allocated" },
            ]),
        ).toEqual([]);
        expect(
            lostAcknowledgements(pendingRelease, [
                { ...good[0], subnet: "10.1.7.0/24" },
                { ...good[1], status: "Allocated" },
            ]).length,
        ).toBe(1);
        expect(parseJournal('{"op":"allocate","cluster":"a"}\n{"op":"rel')).toEqual([{ op: "allocate", cluster: "a" }]);
        report({ scenario: "detectors on corrupted data", rounds: 8 }, []);
    });
});
