import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, release, SliceLedger } from "../../provider/core/ledger";
import { planAllocations } from "../../provider/core/plan";
import { poolOf } from "../../provider/core/ledger";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

const slice = { sliceName: "blue", sliceSubnet: "10.1.0.0/16" };
const pool = poolOf({ sliceSubnet: "10.1.0.0/16", subnetSize: 24 });

function planOf(ledger: SliceLedger | undefined, clusters: string[], pins?: Record<string, string>) {
    const result = planAllocations({ sliceName: "blue", pool, ledger, clusters, pins, now: at(100) });
    if (!result.ok) {
        throw new Error(result.issues.map((i) => i.message).join("\n"));
    }
    return Object.fromEntries(Object.entries(result.plan).map(([cluster, p]) => [cluster, `${p.subnet} ${p.source}`]));
}

describe("planAllocations", () => {
    it("assigns new clusters first-fit in list order around existing and reserved subnets", () => {
        let ledger = ledgerFor(slice);
        for (const c of ["a", "b", "c"]) {
            ledger = mustAllocate(ledger, c, at(0)).ledger;
        }
        ledger = release(ledger, "b", at(50)).ledger;
        expect(planOf(ledger, ["z", "a", "y", "b"])).toEqual({
            a: "10.1.0.0/24 existing",
            b: "10.1.1.0/24 reused",
            z: "10.1.3.0/24 planned",
            y: "10.1.4.0/24 planned",
        });
    });

    it("plans a slice that is not registered yet from its declared pool", () => {
        expect(planOf(undefined, ["worker-2", "worker-1"])).toEqual({
            "worker-2": "10.1.0.0/24 planned",
            "worker-1": "10.1.1.0/24 planned",
        });
    });

    it("fills the hole of a reclaimed subnet first", () => {
        let ledger = ledgerFor({ ...slice, gracePeriodSeconds: 10 });
        ledger = mustAllocate(ledger, "a", at(0)).ledger;
        ledger = mustAllocate(ledger, "b", at(0)).ledger;
        ledger = release(ledger, "a", at(0)).ledger;
        expect(planOf(ledger, ["b", "c"])).toEqual({ b: "10.1.1.0/24 existing", c: "10.1.0.0/24 planned" });
    });

    it("is deterministic and never moves existing allocations when the list is reordered", () => {
        fc.assert(
            fc.property(
                fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }),
                fc.integer({ min: 0, max: 10 }),
                fc.integer(),
                (ids, existingCount, seed) => {
                    const clusters = ids.map((i) => `c-${i}`);
                    let ledger = ledgerFor(slice);
                    for (const c of clusters.slice(0, existingCount)) {
                        ledger = mustAllocate(ledger, c, at(0)).ledger;
                    }
                    const once = planOf(ledger, clusters);
                    expect(planOf(ledger, clusters)).toEqual(once);
                    const shuffled = [...clusters].sort((x, y) => ((x.length * seed) % 7) - ((y.length * seed) % 7) || (x < y ? 1 : -1));
                    const reordered = planOf(ledger, shuffled);
                    for (const c of clusters.slice(0, existingCount)) {
                        expect(reordered[c]).toBe(once[c]);
                    }
                    const subnets = Object.values(reordered).map((v) => v.split(" ")[0]);
                    expect(new Set(subnets).size).toBe(clusters.length);
                },
            ),
        );
    });

    it("gives pinned clusters their subnets (adopting a static slice's /20 layout) and plans the rest around them", () => {
        const staticPool = poolOf({ sliceSubnet: "10.1.0.0/16", subnetSize: 20 });
        const result = planAllocations({
            sliceName: "legacy",
            pool: staticPool,
            clusters: ["c-1", "c-2", "c-3", "new"],
            pins: { "c-1": "10.1.0.0/20", "c-2": "10.1.16.0/20", "c-3": "10.1.48.0/20" },
            now: at(0),
        });
        expect(result.ok && Object.fromEntries(Object.entries(result.plan).map(([c, p]) => [c, [p.subnet, p.index, p.source]]))).toEqual({
            "c-1": ["10.1.0.0/20", 0, "pinned"],
            "c-2": ["10.1.16.0/20", 1, "pinned"],
            "c-3": ["10.1.48.0/20", 3, "pinned"],
            new: ["10.1.32.0/20", 2, "planned"],
        });
    });

    it.each([
        [
            { x: "10.2.0.0/24" },
            { code: "requested-subnet-invalid", reason: "outside-pool" },
            'pinned subnet 10.2.0.0/24 for cluster "x" is outside the pool of slice "blue" (10.1.0.0/16, /24 subnets); ' +
                "pin a /24 block inside 10.1.0.0/16, or remove the pin",
        ],
        [{ x: "10.1.0.0/25" }, { code: "requested-subnet-invalid", reason: "wrong-size" }, "is not a /24 block of slice"],
        [{ x: "10.1.0.1/24" }, { code: "requested-subnet-invalid", reason: "not-cidr" }, "is not canonical CIDR notation"],
        [{ x: "10.1.0.0/24" }, { code: "requested-subnet-taken", heldBy: "a", index: 0 }, 'is already held by cluster "a" in slice "blue"'],
    ])("reports a bad pin %j as %j", (pins, data, message) => {
        const ledger = mustAllocate(ledgerFor(slice), "a", at(0)).ledger;
        const result = planAllocations({ sliceName: "blue", pool, ledger, clusters: ["a", "x"], pins, now: at(1) });
        expect(result.ok).toBe(false);
        expect(!result.ok && result.issues[0]).toMatchObject({ ...data, clusterName: "x", sliceName: "blue", subnet: pins.x });
        expect(!result.ok && result.issues[0].message).toContain(message);
    });

    it("reports the clusters that do not fit", () => {
        const small = poolOf({ sliceSubnet: "192.168.0.0/23", subnetSize: 24 });
        const result = planAllocations({ sliceName: "s", pool: small, clusters: ["a", "b", "c"], now: at(0) });
        expect(!result.ok && result.issues.map((i) => [i.code, i.clusterName])).toEqual([["no-available-subnets", "c"]]);
    });

    it("refuses the joining clusters beyond maxClusters in list order, counting every active cluster of the slice", () => {
        let ledger = ledgerFor({ ...slice, maxClusters: 3 });
        for (const c of ["a", "b", "c"]) {
            ledger = mustAllocate(ledger, c, at(0)).ledger;
        }
        ledger = (release(ledger, "c", at(50)) as { ledger: SliceLedger }).ledger;
        // a and b are active (b perhaps another stack's); x takes the third slot; c would rejoin as a fourth.
        const result = planAllocations({ sliceName: "blue", pool, ledger, clusters: ["a", "x", "c", "y"], maxClusters: 3, now: at(100) });
        expect(result.ok).toBe(false);
        expect(!result.ok && result.issues.map((i) => [i.code, i.clusterName])).toEqual([
            ["max-clusters-reached", "c"],
            ["max-clusters-reached", "y"],
        ]);
        expect(!result.ok && result.issues[0].message).toBe(
            'cluster "c" cannot join slice "blue": its maxClusters limit is 3 active clusters: 2 active now and 1 joining ' +
                "before it in the clusters list. Remove unused clusters or raise maxClusters.",
        );
    });

    it("plans clusters up to maxClusters exactly", () => {
        const result = planAllocations({ sliceName: "blue", pool, clusters: ["a", "b"], maxClusters: 2, now: at(0) });
        expect(result.ok && Object.keys(result.plan)).toEqual(["a", "b"]);
    });

    it("plans a subnet for exactly the clusters allocate accepts, whatever maxClusters and the ledger", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 6 }),
                fc.integer({ min: 0, max: 4 }),
                fc.integer({ min: 1, max: 8 }),
                fc.integer({ min: 0, max: 6 }),
                (active, released, maxClusters, joining) => {
                    let ledger = ledgerFor({ ...slice, maxClusters: 4096 });
                    for (let i = 0; i < active + released; i++) {
                        ledger = mustAllocate(ledger, `old-${i}`, at(0)).ledger;
                    }
                    for (let i = active; i < active + released; i++) {
                        ledger = (release(ledger, `old-${i}`, at(10)) as { ledger: SliceLedger }).ledger;
                    }
                    ledger = { ...ledger, spec: { ...ledger.spec, maxClusters } };
                    // Rejoining released clusters and new ones, interleaved.
                    const clusters = Array.from({ length: joining }, (_, i) =>
                        i % 2 === 0 && i / 2 < released ? `old-${active + i / 2}` : `new-${i}`,
                    );
                    const result = planAllocations({ sliceName: "blue", pool, ledger, clusters, maxClusters, now: at(20) });
                    const refused = result.ok ? [] : result.issues.map((i) => i.clusterName);
                    const planned = result.ok ? Object.keys(result.plan) : clusters.filter((c) => !refused.includes(c));
                    for (const cluster of clusters) {
                        const allocated = allocate(ledger, cluster, at(20));
                        if (planned.includes(cluster)) {
                            expect(allocated.ok).toBe(true);
                            ledger = (allocated as { ledger: SliceLedger }).ledger;
                        } else {
                            expect(!allocated.ok && allocated.issue.code).toBe("max-clusters-reached");
                        }
                    }
                },
            ),
        );
    });

    it("costs nothing like the pool: plans in a /8 of /30s with 4,000 allocations", () => {
        const big = poolOf({ sliceSubnet: "10.0.0.0/8", subnetSize: 30 });
        let ledger = ledgerFor({ sliceName: "big", sliceSubnet: "10.0.0.0/8", subnetSize: 30 });
        const allocations = Array.from({ length: 4000 }, (_, index) => ({
            clusterName: `c-${index}`,
            subnet: `10.0.${Math.floor(index / 64)}.${(index % 64) * 4}/30`,
            index,
            status: "Allocated" as const,
            allocatedAt: at(0).toISOString(),
        }));
        ledger = { ...ledger, allocations };
        const result = planAllocations({ sliceName: "big", pool: big, ledger, clusters: ["c-5", "new-1", "new-2"], now: at(1) });
        expect(result.ok && result.plan["new-2"]).toEqual({ subnet: "10.0.62.132/30", index: 4001, source: "planned" });
        expect(allocate(ledger, "new-1", at(1), { requestedIndex: 4000 }).ok).toBe(true);
    });
});

describe("allocate with a requested index", () => {
    it("takes the requested index when free, and falls back to first-fit naming the holder otherwise", () => {
        let ledger = mustAllocate(ledgerFor(slice), "a", at(0)).ledger;
        const honoured = allocate(ledger, "b", at(1), { requestedIndex: 7 });
        expect(honoured.ok && [honoured.value.allocation.subnet, honoured.value.request]).toEqual([
            "10.1.7.0/24",
            { index: 7, honoured: true, heldBy: undefined },
        ]);
        ledger = honoured.ok ? honoured.ledger : ledger;
        const missed = allocate(ledger, "c", at(2), { requestedIndex: 7 });
        expect(missed.ok && [missed.value.allocation.subnet, missed.value.request]).toEqual([
            "10.1.1.0/24",
            { index: 7, honoured: false, heldBy: "b" },
        ]);
    });

    it("refuses a pinned index another cluster holds instead of falling back", () => {
        const ledger = mustAllocate(ledgerFor(slice), "a", at(0)).ledger;
        const result = allocate(ledger, "b", at(1), { requestedIndex: 0, pinned: true });
        expect(!result.ok && [result.issue.code, result.issue.message]).toEqual([
            "requested-subnet-taken",
            'pinned subnet 10.1.0.0/24 for cluster "b" is already held by cluster "a" in slice "blue"; pin another subnet or remove the pin',
        ]);
    });

    it("never moves an existing or reserved allocation", () => {
        let ledger = mustAllocate(ledgerFor(slice), "a", at(0)).ledger;
        expect(mustAllocate(ledger, "a", at(1)).value.allocation.index).toBe(0);
        const again = allocate(ledger, "a", at(1), { requestedIndex: 9 });
        expect(again.ok && again.value.allocation.index).toBe(0);
        ledger = release(ledger, "a", at(2)).ledger;
        const back = allocate(ledger, "a", at(3), { requestedIndex: 9 });
        expect(back.ok && [back.value.outcome, back.value.allocation.index]).toEqual(["reused", 0]);
    });
});
