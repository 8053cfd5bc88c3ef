import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { allocate, SliceLedger } from "../../provider/core/ledger";
import { withHistoryActor } from "../../provider/store/history-context";
import { LedgerStore, SwapResult, VersionedLedger } from "../../provider/store/ledger-store";
import { GATHER_LIMIT, updateLedger } from "../../provider/store/update-ledger";
import { sampleLedger } from "./ledger-store-contract";

const GATHER_MS = 250;

/** A store in memory that records every commit's allocations: what a batch carried, and when it was written. */
function memoryStore(key: string, gatherMs: number | undefined) {
    let stored: VersionedLedger = { ledger: sampleLedger(), version: "0" };
    const commits: { at: number; clusters: string[] }[] = [];
    const store: LedgerStore = {
        description: `memory store ${key}`,
        key,
        gatherMs,
        load: async () => stored,
        list: async () => [stored],
        listEach: async () => [],
        compareAndSwap: async (_slice, version, next): Promise<SwapResult> => {
            if (version !== stored.version || next === undefined) {
                return { ok: false, conflict: true };
            }
            const before = new Set(stored.ledger.allocations.map((a) => a.clusterName));
            commits.push({ at: Date.now(), clusters: next.allocations.map((a) => a.clusterName).filter((c) => !before.has(c)) });
            stored = { ledger: next, version: String(Number(stored.version) + 1) };
            return { ok: true };
        },
    };
    return { store, commits, stored: () => stored.ledger };
}

const allocating = (cluster: string) => (current: SliceLedger | undefined) => {
    const allocated = allocate(current!, cluster, new Date("2026-01-01T01:00:00Z"));
    if (!allocated.ok) {
        throw new Error(allocated.issue.message);
    }
    return { ledger: allocated.ledger, result: allocated.value.allocation.subnet };
};

const asTheEngine = <T>(body: () => T): T => withHistoryActor({ via: "pulumi", project: "platform" }, body);

/** Lets pending promise callbacks run without moving the fake clock. */
const settleMicrotasks = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe("updateLedger gathering a stream of changes (a store with gatherMs)", () => {
    let key = 0;
    const nextKey = () => `gather-${++key}`;
    beforeEach(() => {
        vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2026-06-01T00:00:00Z") });
    });
    afterEach(() => {
        vi.useRealTimers();
    });

    it("commits a lone change at once, then lets the next ones of the stream wait for company: one commit for three", async () => {
        const { store, commits } = memoryStore(nextKey(), GATHER_MS);
        const results: string[] = [];
        const first = asTheEngine(() => updateLedger(store, "blue", allocating("a")));
        expect(await first).toBe("10.2.0.0/24");
        expect(commits).toHaveLength(1);

        // The engine's next creates, tens of milliseconds apart, each without waiting for the one before.
        vi.advanceTimersByTime(40);
        const b = asTheEngine(() => updateLedger(store, "blue", allocating("b")).then((subnet) => (results.push(`b ${subnet}`), subnet)));
        vi.advanceTimersByTime(40);
        const c = asTheEngine(() => updateLedger(store, "blue", allocating("c")).then((subnet) => (results.push(`c ${subnet}`), subnet)));
        vi.advanceTimersByTime(40);
        const d = asTheEngine(() => updateLedger(store, "blue", allocating("d")).then((subnet) => (results.push(`d ${subnet}`), subnet)));
        await settleMicrotasks();
        // Nothing acknowledged before its commit, and no commit before the window of b (the batch's first) ends.
        expect(results).toEqual([]);
        expect(commits).toHaveLength(1);

        vi.advanceTimersByTime(GATHER_MS - 80 - 1);
        await settleMicrotasks();
        expect(commits).toHaveLength(1);
        vi.advanceTimersByTime(1);
        expect(await Promise.all([b, c, d])).toEqual(["10.2.1.0/24", "10.2.2.0/24", "10.2.3.0/24"]);
        expect(commits.map((commit) => commit.clusters)).toEqual([["a"], ["b", "c", "d"]]);
        // b waited exactly its window from its own arrival, not from d's.
        expect(commits[1].at - commits[0].at).toBe(40 + GATHER_MS);
    });

    it("gives each caller of a gathered commit its own result or its own error", async () => {
        const { store, commits, stored } = memoryStore(nextKey(), GATHER_MS);
        await asTheEngine(() => updateLedger(store, "blue", allocating("a")));
        vi.advanceTimersByTime(10);
        const outcomes = Promise.allSettled(
            ["b", "refused", "c"].map((cluster) =>
                asTheEngine(() =>
                    updateLedger(
                        store,
                        "blue",
                        cluster === "refused"
                            ? () => {
                                  throw new Error("refused by its own change");
                              }
                            : allocating(cluster),
                    ),
                ),
            ),
        );
        vi.advanceTimersByTime(GATHER_MS);
        const settled = await outcomes;
        expect(settled.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : (outcome.reason as Error).message))).toEqual([
            "10.2.1.0/24",
            "refused by its own change",
            "10.2.2.0/24",
        ]);
        expect(commits.map((commit) => commit.clusters)).toEqual([["a"], ["b", "c"]]);
        expect(stored().allocations.map((a) => a.clusterName)).toEqual(["a", "b", "c"]);
    });

    it(`commits a batch of ${GATHER_LIMIT} at once without waiting out the window`, async () => {
        const { store, commits } = memoryStore(nextKey(), GATHER_MS);
        await asTheEngine(() => updateLedger(store, "blue", allocating("first")));
        const many = Array.from({ length: GATHER_LIMIT }, (_, i) => asTheEngine(() => updateLedger(store, "blue", allocating(`c${i}`))));
        // The clock does not move: only the full batch can end the wait.
        const subnets = await Promise.all(many);
        expect(new Set(subnets).size).toBe(GATHER_LIMIT);
        expect(commits.map((commit) => commit.clusters.length)).toEqual([1, GATHER_LIMIT]);
    });

    it("never makes a change wait after a pause, nor one a CLI command or a library caller makes, nor where the store does not ask", async () => {
        for (const [gatherMs, run] of [
            [GATHER_MS, <T>(body: () => T) => withHistoryActor({ via: "cli", command: "slice-ipam reclaim" }, body)],
            [GATHER_MS, <T>(body: () => T) => withHistoryActor({ via: "library" }, body)],
            [undefined, asTheEngine],
            [0, asTheEngine],
        ] as const) {
            const { store, commits } = memoryStore(nextKey(), gatherMs);
            // Each awaited with the clock still: a change that waited for company would never settle here.
            for (const cluster of ["a", "b", "c"]) {
                await run(() => updateLedger(store, "blue", allocating(cluster)));
            }
            expect(commits).toHaveLength(3);
        }
        const { store, commits } = memoryStore(nextKey(), GATHER_MS);
        await asTheEngine(() => updateLedger(store, "blue", allocating("a")));
        vi.advanceTimersByTime(GATHER_MS + 1);
        // After a pause longer than the window, the engine's next change is a lone one again.
        await asTheEngine(() => updateLedger(store, "blue", allocating("b")));
        expect(commits).toHaveLength(2);
    });
});
