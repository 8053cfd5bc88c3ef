import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allocate, newLedger, SliceLedger } from "../../provider/core/ledger";
import { sliceSpecSchema } from "../../provider/core/validation";
import { LedgerStore } from "../../provider/store/ledger-store";

export interface StoreFixture {
    readonly store: LedgerStore;
    /** A second, independent client of the same backing location. */
    readonly otherClient: () => LedgerStore;
    readonly dispose: () => Promise<void>;
    /**
     * Set by a store that may report a write that landed as a conflict (never the reverse): the file store, when
     * other writers built on its new revision before it checked it (file-store.ts, compareAndSwap), because that
     * cannot be told apart from a late writer's ignored revision. The caller re-applies its change to the current
     * ledger, where the service layer's changes are idempotent; the test still requires the whole write landed.
     */
    readonly mayReportLandedWriteAsConflict?: true;
}

export function sampleLedger(sliceName = "blue", sliceSubnet = "10.2.0.0/16", subnetSize?: number): SliceLedger {
    return newLedger(sliceSpecSchema.parse({ sliceName, sliceSubnet, subnetSize }), new Date("2026-01-01T00:00:00Z"));
}

/** The pools a contract run uses: the same behaviour is required of IPv4 and IPv6 slices. */
export interface ContractPools {
    readonly label: string;
    readonly subnetSize: number;
    /** Two disjoint pools, and one with room for 2,000 clusters. */
    readonly blue: string;
    readonly red: string;
    readonly large: string;
    /** A pool whose last indexable subnet is far from the first, and that subnet's index. */
    readonly far: { readonly sliceSubnet: string; readonly subnetSize: number; readonly index: number };
}

export const IPV4_POOLS: ContractPools = {
    label: "",
    subnetSize: 24,
    blue: "10.2.0.0/16",
    red: "10.3.0.0/16",
    large: "10.16.0.0/12",
    far: { sliceSubnet: "10.0.0.0/8", subnetSize: 30, index: 2 ** 22 - 1 },
};

/** A /48 of /64s, a /32 of /64s (2^32 subnets), and fd00::/8 of /64s, whose last indexable subnet is 2^53 − 1. */
export const IPV6_POOLS: ContractPools = {
    label: " (IPv6 slices)",
    subnetSize: 64,
    blue: "fd00:2::/48",
    red: "fd00:3::/48",
    large: "fd00:10::/32",
    far: { sliceSubnet: "fd00::/8", subnetSize: 64, index: 2 ** 53 - 1 },
};

/** `ledger` with the clusters allocated, first-fit, as the service would. */
export function withAllocations(ledger: SliceLedger, clusters: readonly string[], now = new Date("2026-01-01T01:00:00Z")): SliceLedger {
    return clusters.reduce((current, cluster) => {
        const result = allocate(current, cluster, now);
        if (!result.ok) {
            throw new Error(result.issue.message);
        }
        return result.ledger;
    }, ledger);
}

/**
 * The behaviour every LedgerStore must have. Each store's test file runs it
 * against a real backing location (a directory, an API server).
 */
export function describeLedgerStoreContract(name: string, makeFixture: () => Promise<StoreFixture>, pools: ContractPools = IPV4_POOLS): void {
    const ledgerIn = (sliceName = "blue", sliceSubnet = pools.blue) => sampleLedger(sliceName, sliceSubnet, pools.subnetSize);
    describe(`${name}: LedgerStore contract${pools.label}`, () => {
        let fixture: StoreFixture;
        beforeEach(async () => {
            fixture = await makeFixture();
        });
        afterEach(async () => {
            await fixture.dispose();
        });

        it("reads nothing for an unregistered slice", async () => {
            expect(await fixture.store.load("blue")).toBeUndefined();
            expect(await fixture.store.list()).toEqual([]);
        });

        it("creates only when absent, and round-trips the ledger", async () => {
            const ledger = ledgerIn();
            expect((await fixture.store.compareAndSwap("blue", undefined, ledger)).ok).toBe(true);
            expect(await fixture.store.compareAndSwap("blue", undefined, ledger)).toEqual({ ok: false, conflict: true });
            const loaded = await fixture.otherClient().load("blue");
            expect(loaded?.ledger).toEqual(ledger);
        });

        it("writes only over the version it read", async () => {
            await fixture.store.compareAndSwap("blue", undefined, ledgerIn());
            const read = (await fixture.store.load("blue"))!;
            const changed = { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 3 } };
            const swapped = await fixture.store.compareAndSwap("blue", read.version, changed);
            expect(swapped.ok).toBe(true);
            expect(await fixture.store.compareAndSwap("blue", read.version, read.ledger)).toEqual({ ok: false, conflict: true });
            const after = (await fixture.store.load("blue"))!;
            expect(after.version).not.toBe(read.version);
            expect(after.ledger.counters.conflicts).toBe(3);
        });

        it("lets exactly one of two writers racing on one version win", async () => {
            await fixture.store.compareAndSwap("blue", undefined, ledgerIn());
            const read = (await fixture.store.load("blue"))!;
            const other = fixture.otherClient();
            const results = await Promise.all([
                fixture.store.compareAndSwap("blue", read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 1 } }),
                other.compareAndSwap("blue", read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 2 } }),
            ]);
            expect(results.filter((result) => result.ok)).toHaveLength(1);
            const winner = results[0].ok ? 1 : 2;
            expect((await fixture.store.load("blue"))!.ledger.counters.conflicts).toBe(winner);
        });

        it("keeps allocations and settings changed by one compare-and-swap", async () => {
            await fixture.store.compareAndSwap("blue", undefined, ledgerIn());
            const read = (await fixture.store.load("blue"))!;
            const allocated = withAllocations(read.ledger, ["worker-1", "worker-2"]);
            const next = { ...allocated, spec: { ...allocated.spec, gracePeriodSeconds: 60, maxClusters: 10 } };
            expect((await fixture.store.compareAndSwap("blue", read.version, next)).ok).toBe(true);
            const stored = (await fixture.otherClient().load("blue"))!.ledger;
            expect(stored.spec).toMatchObject({ gracePeriodSeconds: 60, maxClusters: 10 });
            expect(stored.allocations.map((a) => a.clusterName)).toEqual(["worker-1", "worker-2"]);
            expect(stored).toEqual(next);
        });

        it("stores every allocation of a create, whole, even while other clients write; reports it ok where the store can tell", async () => {
            // Many entries make a store that writes them in a second request slow to finish the create,
            // so that the other clients' writes land in between.
            const clusters = Array.from({ length: 2_000 }, (_, i) => `worker-${i}`);
            const created = withAllocations(ledgerIn("blue", pools.large), clusters);
            let done = false;
            const racer = async (other: LedgerStore) => {
                let writes = 0;
                while (!done || writes === 0) {
                    const read = await other.load("blue");
                    if (read !== undefined) {
                        const bumped = { ...read.ledger, counters: { ...read.ledger.counters, releases: read.ledger.counters.releases + 1 } };
                        writes += (await other.compareAndSwap("blue", read.version, bumped)).ok ? 1 : 0;
                    }
                }
            };
            const racers = [racer(fixture.otherClient()), racer(fixture.otherClient()), racer(fixture.otherClient())];
            const result = await fixture.store.compareAndSwap("blue", undefined, created);
            done = true;
            await Promise.all(racers);
            if (fixture.mayReportLandedWriteAsConflict !== true) {
                expect(result.ok).toBe(true);
            }
            // Reported ok or not, the create is whole: no entry missing, none half-written.
            const stored = (await fixture.otherClient().load("blue"))!.ledger;
            expect(stored.allocations).toEqual(created.allocations);
        });

        it("deletes under compare-and-swap", async () => {
            await fixture.store.compareAndSwap("blue", undefined, ledgerIn());
            const read = (await fixture.store.load("blue"))!;
            expect(await fixture.store.compareAndSwap("blue", "not-the-version", undefined)).toEqual({ ok: false, conflict: true });
            expect((await fixture.store.compareAndSwap("blue", read.version, undefined)).ok).toBe(true);
            expect(await fixture.store.load("blue")).toBeUndefined();
        });

        it("never accepts a version again once the slice was deleted and registered again", async () => {
            await fixture.store.compareAndSwap("blue", undefined, ledgerIn());
            const first = (await fixture.store.load("blue"))!;
            expect((await fixture.store.compareAndSwap("blue", first.version, undefined)).ok).toBe(true);
            expect((await fixture.otherClient().compareAndSwap("blue", undefined, ledgerIn())).ok).toBe(true);
            const changed = { ...first.ledger, counters: { ...first.ledger.counters, conflicts: 9 } };
            expect(await fixture.store.compareAndSwap("blue", first.version, changed)).toEqual({ ok: false, conflict: true });
            expect((await fixture.store.load("blue"))!.ledger.counters.conflicts).toBe(0);
        });

        it("round-trips an entry at the far end of the indexable pool", async () => {
            const { sliceSubnet, subnetSize, index } = pools.far;
            const empty = sampleLedger("blue", sliceSubnet, subnetSize);
            const near = withAllocations(empty, ["worker-0"]);
            const far = allocate(near, "worker-far", new Date("2026-01-01T01:00:00Z"), { requestedIndex: index, pinned: true });
            if (!far.ok) {
                throw new Error(far.issue.message);
            }
            expect(far.value.allocation.index).toBe(index);
            expect((await fixture.store.compareAndSwap("blue", undefined, far.ledger)).ok).toBe(true);
            const loaded = (await fixture.otherClient().load("blue"))!;
            expect(loaded.ledger).toEqual(far.ledger);
            const released = { ...far.ledger, allocations: far.ledger.allocations.filter((entry) => entry.index !== index) };
            expect((await fixture.store.compareAndSwap("blue", loaded.version, released)).ok).toBe(true);
            expect((await fixture.otherClient().load("blue"))!.ledger).toEqual(released);
        });

        it("lists every slice", async () => {
            await fixture.store.compareAndSwap("blue", undefined, ledgerIn("blue", pools.blue));
            await fixture.store.compareAndSwap("red", undefined, ledgerIn("red", pools.red));
            const names = (await fixture.otherClient().list()).map((entry) => entry.ledger.spec.sliceName).sort();
            expect(names).toEqual(["blue", "red"]);
        });
    });
}
