import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { allocate, SliceLedger } from "../../provider/core/ledger";
import { FileLedgerStore } from "../../provider/store/file-store";
import { LedgerStore } from "../../provider/store/ledger-store";
import { backoffDelay } from "../../provider/store/backoff";
import { LedgerConflictError, updateLedger } from "../../provider/store/update-ledger";
import { makeTempDir } from "../support/temp-dir";
import { sampleLedger } from "./ledger-store-contract";

const FAST = { attempts: 5, baseDelayMs: 1, maxDelayMs: 4 };

/**
 * A store whose every compare-and-swap is preceded, `interferences` times, by
 * a real write from another client: a genuine lost race each time.
 */
function interferedStore(directory: string, interferences: number): LedgerStore {
    const store = new FileLedgerStore(directory);
    const other = new FileLedgerStore(directory);
    let remaining = interferences;
    return {
        description: store.description,
        key: `${store.key}#interfered`,
        load: (slice) => store.load(slice),
        list: () => store.list(),
        listEach: () => store.listEach(),
        compareAndSwap: async (slice, version, next) => {
            if (remaining > 0) {
                remaining--;
                const current = (await other.load(slice))!;
                await other.compareAndSwap(slice, current.version, { ...current.ledger });
            }
            return store.compareAndSwap(slice, version, next);
        },
    };
}

/** `store` under another key (its own commit queue), methods bound. */
function wrap(store: FileLedgerStore, suffix: string): LedgerStore {
    return {
        description: store.description,
        key: `${store.key}${suffix}`,
        load: (slice) => store.load(slice),
        list: () => store.list(),
        listEach: () => store.listEach(),
        compareAndSwap: (slice, version, next) => store.compareAndSwap(slice, version, next),
    };
}

const touch = (current: SliceLedger | undefined) => ({
    ledger: { ...current!, registeredAt: "2026-02-02T00:00:00.000Z" },
    result: "touched",
});

describe("updateLedger's published events", () => {
    let temp: ReturnType<typeof makeTempDir>;
    beforeEach(async () => {
        temp = makeTempDir();
        await new FileLedgerStore(temp.dir).compareAndSwap("blue", undefined, sampleLedger());
    });
    afterEach(() => temp.remove());

    it("hands the store each commit's events after its callers have their results, and a failing publisher fails nothing", async () => {
        const published: { events: string[]; callersSettled: string[] }[] = [];
        const settled: string[] = [];
        const store: LedgerStore = {
            ...wrap(new FileLedgerStore(temp.dir), "#publishing"),
            publishEvents: async (_slice, events) => {
                // A slow publisher: the callers of the commit must not be waiting for it.
                await new Promise((resolve) => setTimeout(resolve, 50));
                published.push({ events: events.map((event) => `${event.action} ${event.clusterName}`), callersSettled: [...settled] });
                throw new Error("the Events API is down");
            },
        };
        const results = await Promise.all(
            ["a", "b"].map((cluster) =>
                updateLedger(store, "blue", (current) => {
                    const allocated = allocate(current!, cluster, new Date("2026-01-01T01:00:00Z"));
                    return { ledger: allocated.ok ? allocated.ledger : current, result: cluster };
                }).then((result) => {
                    settled.push(result);
                    return result;
                }),
            ),
        );
        expect(results).toEqual(["a", "b"]);
        await vi.waitFor(() => expect(published.flatMap((commit) => commit.events)).toHaveLength(2));
        // Each commit's events, once, in order; the commit's callers had their results while its events were being published.
        expect(published.flatMap((commit) => commit.events)).toEqual(["allocated a", "allocated b"]);
        for (const commit of published) {
            expect(commit.callersSettled).toEqual(expect.arrayContaining(commit.events.map((event) => event.split(" ")[1])));
        }
        const stored = (await new FileLedgerStore(temp.dir).load("blue"))!.ledger;
        expect(stored.history?.map((event) => event.action)).toEqual(["allocated", "allocated"]);
        // A change that writes nothing publishes nothing.
        await updateLedger(store, "blue", (current) => ({ ledger: current, result: undefined }));
        expect(published.flatMap((commit) => commit.events)).toHaveLength(2);
    });
});

describe("updateLedger", () => {
    let temp: ReturnType<typeof makeTempDir>;
    beforeEach(async () => {
        temp = makeTempDir();
        await new FileLedgerStore(temp.dir).compareAndSwap("blue", undefined, sampleLedger());
    });
    afterEach(() => temp.remove());

    it("retries lost races and counts them in the ledger", async () => {
        const store = interferedStore(temp.dir, 3);
        expect(await updateLedger(store, "blue", touch, FAST)).toBe("touched");
        const stored = (await store.load("blue"))!.ledger;
        expect(stored.registeredAt).toBe("2026-02-02T00:00:00.000Z");
        expect(stored.counters.conflicts).toBe(3);
    });

    it("gives up after the bounded attempts with a clear error, writing nothing", async () => {
        const store = interferedStore(temp.dir, 100);
        const failure = updateLedger(store, "blue", touch, FAST);
        await expect(failure).rejects.toThrow(LedgerConflictError);
        await expect(failure).rejects.toThrow(/slice "blue": gave up after 5 attempts .* Nothing was written/);
        expect((await store.load("blue"))!.ledger.registeredAt).toBe(sampleLedger().registeredAt);
    });

    it("still counts lost races when the retried change turns out to change nothing", async () => {
        const store = interferedStore(temp.dir, 2);
        // Changes the ledger only while it still has the original registration time: the other writer's copy does not.
        let calls = 0;
        const untilSeenTwice = (current: SliceLedger | undefined) => (++calls <= 2 ? touch(current) : { ledger: current, result: "touched" });
        expect(await updateLedger(store, "blue", untilSeenTwice, FAST)).toBe("touched");
        expect((await store.load("blue"))!.ledger.counters.conflicts).toBe(2);
    });

    it("does not write when the change leaves the ledger as it was", async () => {
        const store = interferedStore(temp.dir, 0);
        const before = (await store.load("blue"))!.version;
        expect(await updateLedger(store, "blue", (current) => ({ ledger: current, result: 1 }))).toBe(1);
        expect((await store.load("blue"))!.version).toBe(before);
    });

    it("fails only the caller whose change refused, in a shared batch", async () => {
        const store = new FileLedgerStore(temp.dir);
        const results = await Promise.allSettled([
            updateLedger(store, "blue", touch),
            updateLedger(store, "blue", () => {
                throw new Error("refused");
            }),
            updateLedger(store, "blue", (current) => ({
                ledger: { ...current!, counters: { ...current!.counters, conflicts: 42 } },
                result: "counted",
            })),
        ]);
        expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        expect((await store.load("blue"))!.ledger.counters.conflicts).toBe(42);
    });

    it("settles nothing from a store's last known ledger without a write: a change that writes nothing reads again", async () => {
        const store = new FileLedgerStore(temp.dir);
        const stale = (await store.load("blue"))!;
        await store.compareAndSwap("blue", stale.version, { ...stale.ledger, registeredAt: "2026-03-03T00:00:00.000Z" });
        const seenBy: string[] = [];
        const viewing: LedgerStore = { ...wrap(store, "#view"), loadToWrite: async () => stale };
        const result = await updateLedger(viewing, "blue", (current) => {
            seenBy.push(current!.registeredAt);
            return { ledger: current, result: current!.registeredAt };
        });
        expect(result).toBe("2026-03-03T00:00:00.000Z"); // decided on the fresh read, not on the stale view
        expect(seenBy).toEqual([stale.ledger.registeredAt, "2026-03-03T00:00:00.000Z"]);
    });

    it("writes from a stale last known ledger only through the compare-and-swap, which refuses it and counts the race", async () => {
        const store = new FileLedgerStore(temp.dir);
        const stale = (await store.load("blue"))!;
        await store.compareAndSwap("blue", stale.version, { ...stale.ledger, registeredAt: "2026-03-03T00:00:00.000Z" });
        const viewing: LedgerStore = { ...wrap(store, "#view2"), loadToWrite: async () => stale };
        const seen = await updateLedger(
            viewing,
            "blue",
            (current) => ({ ledger: { ...current!, registeredAt: "2026-04-04T00:00:00.000Z" }, result: current!.registeredAt }),
            FAST,
        );
        expect(seen).toBe("2026-03-03T00:00:00.000Z");
        expect((await store.load("blue"))!.ledger.counters.conflicts).toBe(1);
    });

    it("calls afterBurst once a burst is settled, and changes arriving meanwhile still commit", async () => {
        const store = new FileLedgerStore(temp.dir);
        const events: string[] = [];
        let late: Promise<unknown> | undefined;
        // The late change's own burst ends after its caller is settled: wait for that second afterBurst, not for a time.
        let secondBurstOver: () => void = () => undefined;
        const secondBurst = new Promise<void>((resolve) => (secondBurstOver = resolve));
        const bursting: LedgerStore = {
            ...wrap(store, "#burst"),
            afterBurst: async () => {
                events.push("afterBurst");
                if (late !== undefined) {
                    secondBurstOver();
                }
                late ??= updateLedger(bursting, "blue", (current) => (events.push("late"), touch(current)));
            },
        };
        await Promise.all([1, 2, 3].map((i) => updateLedger(bursting, "blue", (current) => (events.push(`change ${i}`), touch(current)))));
        events.push("settled");
        await late;
        await secondBurst;
        expect(events.slice(0, 4)).toEqual(["change 1", "change 2", "change 3", "settled"]);
        expect(events.slice(4)).toEqual(["afterBurst", "late", "afterBurst"]);
    });

    it("commits each change through its own caller's store, never another writer's, even while a drain outlives its callers", async () => {
        const backing = new FileLedgerStore(temp.dir);
        const uses = { alice: 0, bob: 0, bobAgain: 0 };
        // One location; alice and bob are different identities (say a writer's and a reader's kubeconfig).
        const as = (who: keyof typeof uses, writer: string): LedgerStore => ({
            description: backing.description,
            key: backing.key,
            writer,
            load: (slice) => (uses[who]++, backing.load(slice)),
            list: () => backing.list(),
            listEach: () => backing.listEach(),
            compareAndSwap: (slice, version, next) => backing.compareAndSwap(slice, version, next),
        });
        const touch = (ledger: SliceLedger | undefined) => ({ ledger: { ...ledger! }, result: undefined });
        // Awaited one after another: each next call is queued while the previous drain is still finishing.
        await updateLedger(as("alice", "a"), "blue", touch);
        await updateLedger(as("bob", "b"), "blue", touch);
        await updateLedger(as("bobAgain", "b"), "blue", touch);
        expect(uses.alice).toBeGreaterThan(0);
        expect(uses.bob).toBeGreaterThan(0);
        expect(uses.bobAgain).toBeGreaterThan(0);
    });

    it("backs off exponentially with full jitter, capped", () => {
        const policy = { attempts: 10, baseDelayMs: 5, maxDelayMs: 100 };
        expect(backoffDelay(1, policy, () => 0.999)).toBe(4);
        expect(backoffDelay(3, policy, () => 0.999)).toBe(19);
        expect(backoffDelay(9, policy, () => 0.999)).toBe(99);
        expect(backoffDelay(9, policy, () => 0)).toBe(0);
    });
});
