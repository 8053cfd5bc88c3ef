import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_HISTORY_BOUNDS, HistoryEvent } from "../../provider/core/history";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { reclaimCluster, reclaimExpired } from "../../provider/service/reclaim";
import { registerSlice, updateSliceSettings } from "../../provider/service/slices";
import { recordUsage } from "../../provider/service/usage";
import { withHistoryActor } from "../../provider/store/history-context";
import { LedgerStore } from "../../provider/store/ledger-store";
import { StoreFixture } from "./ledger-store-contract";

/**
 * The slice history every store keeps: written in the compare-and-swap of
 * its change, so a change and its events are stored together or not at all.
 * Each store's test file runs it against a real backing location.
 */
const spec = (gracePeriodSeconds: number) =>
    sliceSpecSchema.parse({ sliceName: "hist", sliceSubnet: "10.40.0.0/22", subnetSize: 24, gracePeriodSeconds, maxClusters: 4 });

// Near the real time: the history's age bound (90 days by default) is applied at each change, which may use the real clock.
const START = Date.now() - 86_400_000;
/** The time `hh:mm:ss` after {@link START} (a day ago), as a clock. */
const clock = (offset: string) => {
    const [h, m, s] = offset.split(":").map(Number);
    return () => new Date(START + ((h * 60 + m) * 60 + s) * 1000);
};
const as = <T>(command: string, body: () => Promise<T>) => withHistoryActor({ via: "cli", command }, body);

async function historyOf(store: LedgerStore): Promise<readonly HistoryEvent[]> {
    return (await store.load("hist"))?.ledger.history ?? [];
}

const brief = (event: HistoryEvent) => [event.action, event.clusterName ?? "", event.subnet ?? "", event.actor.command ?? event.actor.via];

/** A store whose first compare-and-swap finds that `interfere` changed the slice just before it. */
function losingFirstRace(store: LedgerStore, interfere: () => Promise<unknown>): LedgerStore {
    let raced = false;
    return {
        description: store.description,
        // Its own queue: its changes never ride on the interfering client's commits.
        key: `${store.key}#losing`,
        writer: store.writer,
        load: (slice) => store.load(slice),
        list: () => store.list(),
        listEach: () => store.listEach(),
        compareAndSwap: async (slice, version, next) => {
            if (!raced) {
                raced = true;
                await interfere();
            }
            return store.compareAndSwap(slice, version, next);
        },
    };
}

export function describeHistoryContract(name: string, makeFixture: () => Promise<StoreFixture>): void {
    describe(`${name}: slice history`, () => {
        let fixture: StoreFixture;
        beforeEach(async () => {
            fixture = await makeFixture();
        });
        afterEach(async () => {
            await fixture.dispose();
        });

        it("records every kind of change exactly once, with its actor, and nothing for a no-op or a refusal", async () => {
            const { store } = fixture;
            await as("register", () => registerSlice(store, spec(3_600), clock("00:00:00")));
            await as("register again", () => registerSlice(store, spec(3_600), clock("00:00:01")));
            await as("settings", () => updateSliceSettings(store, spec(60)));
            await as("alloc a", () => allocateSubnet(store, "hist", "a", clock("01:00:00")));
            await as("alloc a again", () => allocateSubnet(store, "hist", "a", clock("01:00:01")));
            await as("pin b", () => allocateSubnet(store, "hist", "b", clock("01:00:02"), { requestedSubnet: "10.40.3.0/24", pinned: true }));
            await as("usage a", () =>
                recordUsage(store, "hist", [{ clusterName: "a", found: true, workerSliceConfig: "hist-a", connectedPods: 2, ignored: [] }]),
            );
            await as("release a", () => releaseSubnet(store, "hist", "a", clock("02:00:00")));
            await as("release a again", () => releaseSubnet(store, "hist", "a", clock("02:00:01")));
            await as("rejoin a", () => allocateSubnet(store, "hist", "a", clock("02:00:30")));
            await as("release a", () => releaseSubnet(store, "hist", "a", clock("02:01:00")));
            await as("alloc c", () => allocateSubnet(store, "hist", "c", clock("02:01:01")));
            await as("alloc d", () => allocateSubnet(store, "hist", "d", clock("02:01:02")));
            // The pool is full (a's subnet is reserved): a refusal is counted, never recorded as a change.
            await expect(as("alloc e", () => allocateSubnet(store, "hist", "e", clock("02:01:03")))).rejects.toMatchObject({
                code: "no-available-subnets",
            });
            await as("release b", () => releaseSubnet(store, "hist", "b", clock("02:01:04")));
            await expect(as("reclaim c early", () => reclaimCluster(store, "hist", "c"))).rejects.toMatchObject({ code: "cluster-not-released" });
            await as("reclaim b early", () => reclaimCluster(store, "hist", "b", clock("02:01:05")));
            await as("reclaim expired", () => reclaimExpired(store, "hist", clock("02:02:00")));
            await as("reclaim expired again", () => reclaimExpired(store, "hist", clock("02:03:00")));

            expect((await historyOf(store)).map(brief)).toEqual([
                ["registered", "", "", "register"],
                ["settings-changed", "", "", "settings"],
                ["allocated", "a", "10.40.0.0/24", "alloc a"],
                ["allocated", "b", "10.40.3.0/24", "pin b"],
                ["in-use", "a", "10.40.0.0/24", "usage a"],
                ["released", "a", "10.40.0.0/24", "release a"],
                ["reused", "a", "10.40.0.0/24", "rejoin a"],
                ["released", "a", "10.40.0.0/24", "release a"],
                ["allocated", "c", "10.40.1.0/24", "alloc c"],
                ["allocated", "d", "10.40.2.0/24", "alloc d"],
                ["released", "b", "10.40.3.0/24", "release b"],
                ["reclaimed-early", "b", "10.40.3.0/24", "reclaim b early"],
                ["reclaimed", "a", "10.40.0.0/24", "reclaim expired"],
            ]);
            const events = await historyOf(store);
            expect(events[3].detail).toBe("pinned 10.40.3.0/24");
            expect(events[1].detail).toBe("gracePeriodSeconds 3600 → 60");
            expect(events[2]).toMatchObject({ at: clock("01:00:00")().toISOString(), from: "Available", to: "Allocated" });
            expect(events.every((event) => event.actor.via === "cli" && event.actor.host !== undefined)).toBe(true);
        });

        it("records a change that lost a compare-and-swap once, after the winner's, each with its own actor", async () => {
            const { store } = fixture;
            await registerSlice(store, spec(3_600));
            const other = fixture.otherClient();
            const racing = losingFirstRace(store, () => as("winner", () => allocateSubnet(other, "hist", "w")));
            const mine = await as("loser", () => allocateSubnet(racing, "hist", "l"));
            expect(mine.allocation.subnet).toBe("10.40.1.0/24");
            expect((await historyOf(store)).map(brief)).toEqual([
                ["registered", "", "", "library"],
                ["allocated", "w", "10.40.0.0/24", "winner"],
                ["allocated", "l", "10.40.1.0/24", "loser"],
            ]);
        });

        it("keeps the history to its bound (the default 1,000 events) at 4,096 clusters with churn", async () => {
            const { store } = fixture;
            const big = sliceSpecSchema.parse({ sliceName: "hist", sliceSubnet: "10.64.0.0/12", subnetSize: 26, gracePeriodSeconds: 0 });
            await registerSlice(store, big);
            const clusters = Array.from({ length: 4_096 }, (_, i) => `c-${i}`);
            await Promise.all(clusters.map((cluster) => allocateSubnet(store, "hist", cluster)));
            // Churn: a quarter leave, and as many new clusters join (taking the reclaimed subnets).
            await Promise.all(clusters.slice(0, 1_024).map((cluster) => releaseSubnet(store, "hist", cluster)));
            await Promise.all(clusters.slice(0, 1_024).map((cluster) => allocateSubnet(store, "hist", `n-${cluster}`)));
            const loaded = (await store.load("hist"))!;
            const history = loaded.ledger.history ?? [];
            expect(history).toHaveLength(DEFAULT_HISTORY_BOUNDS.maxEvents);
            expect(history.at(-1)).toMatchObject({ action: "allocated", clusterName: "n-c-1023" });
            expect(loaded.ledger.allocations).toHaveLength(4_096);
            if (loaded.storage !== undefined) {
                expect(loaded.storage.usedBytes).toBeLessThan(loaded.storage.limitBytes);
            }
        }, 600_000);

        it("records nothing when the store refuses the write", async () => {
            const { store } = fixture;
            await registerSlice(store, spec(3_600));
            const refusing: LedgerStore = {
                description: store.description,
                key: `${store.key}#refusing`,
                load: (slice) => store.load(slice),
                list: () => store.list(),
                listEach: () => store.listEach(),
                compareAndSwap: async () => {
                    throw Object.assign(new Error("the server refused the write"), { code: "store-write-refused" });
                },
            };
            await expect(allocateSubnet(refusing, "hist", "a")).rejects.toThrow("refused");
            expect((await historyOf(store)).map((event) => event.action)).toEqual(["registered"]);
            expect((await store.load("hist"))!.ledger.allocations).toEqual([]);
        });
    });
}
