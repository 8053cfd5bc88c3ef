import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrFromString, overlaps } from "../../provider/core/cidr";
import { withIpv6Pool } from "../../provider/core/dual-stack";
import {
    allocate,
    capacity,
    isReclaimable,
    ledgerProblems,
    reclaim,
    reclaimEarly,
    release,
    reservedOverlapsWithHeld,
    SliceLedger,
    withSettings,
} from "../../provider/core/ledger";
import { indexOfSubnet } from "../../provider/core/pool";
import { ipv6PoolOf, pairedSize, slicePoolsOf } from "../../provider/core/slice-pools";
import { subnetTextAt } from "../../provider/core/pool";
import { at, ledgerFor } from "./ledger-fixtures";

// 8 IPv4 /29s; the IPv6 pool has 8 /64s, or 4 (a smaller pool limits the indexes both have).
const IPV4 = { sliceSubnet: "192.168.0.0/26", subnetSize: 29, gracePeriodSeconds: 100, maxClusters: 4096 };
const IPV6_POOLS = [
    { sliceSubnetIpv6: "fd00:1::/61", subnetSizeIpv6: 64 },
    { sliceSubnetIpv6: "fd00:1::/62", subnetSizeIpv6: 64 },
];
const clusters = ["c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8"];
// Of both families: one subnet, a part of one, several, across an edge, outside, all of a pool.
const RANGES = [
    "192.168.0.8/29",
    "192.168.0.20/30",
    "192.168.0.48/28",
    "10.0.0.0/8",
    "fd00:1::/64",
    "fd00:1:0:2::/63",
    "fd00:1:0:5::/80",
    "fd00:1:0:6::/63",
    "fd00:2::/48",
];

const cluster = () => fc.constantFrom(...clusters);
const command = () =>
    fc.oneof(
        fc.record({
            op: fc.constant("allocate" as const),
            cluster: cluster(),
            requested: fc.option(fc.integer({ min: 0, max: 7 }), { freq: 2 }),
            pinned: fc.boolean(),
        }),
        fc.record({ op: fc.constant("release" as const), cluster: cluster() }),
        fc.record({ op: fc.constant("reclaim" as const) }),
        fc.record({ op: fc.constant("reclaim-early" as const), cluster: cluster() }),
        fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 150 }) }),
        fc.record({ op: fc.constant("reserve" as const), ranges: fc.subarray(RANGES, { maxLength: 3 }), accept: fc.boolean() }),
        fc.record({ op: fc.constant("add-ipv6-pool" as const) }),
    );

/** The naive answer, subnet by subnet: does a reserved range touch the subnet at `index` in either pool? */
function reservedByText(ledger: SliceLedger, index: number): boolean {
    const pools = slicePoolsOf(ledger.spec);
    const subnets = [subnetTextAt(pools.primary, index), ...(pools.ipv6 === undefined ? [] : [subnetTextAt(pools.ipv6, index)])];
    return subnets.some((subnet) => (ledger.spec.reservedRanges ?? []).some((range) => overlaps(cidrFromString(range), cidrFromString(subnet))));
}

const key = (clusterName: string, index: number) => `${clusterName}@${index}`;

describe("dual-stack properties", () => {
    it("for any joins, leaves, rejoins, reclaims, range changes and the IPv6 pool added: no subnet shared in either family, each cluster's subnets at one index, nothing new reserved", () => {
        fc.assert(
            fc.property(fc.array(command(), { maxLength: 70 }), fc.constantFrom(...IPV6_POOLS), fc.boolean(), (commands, ipv6Pool, dualFromStart) => {
                let ledger: SliceLedger = ledgerFor(dualFromStart ? { ...IPV4, ...ipv6Pool } : IPV4);
                const keptThrough = new Set<string>();
                let clock = 0;
                for (const step of commands) {
                    const now = at(clock);
                    if (step.op === "wait") {
                        clock += step.seconds;
                    } else if (step.op === "add-ipv6-pool") {
                        if (ledger.spec.sliceSubnetIpv6 !== undefined) {
                            continue;
                        }
                        const added = withIpv6Pool(ledger, ipv6Pool, now);
                        const limit = 2 ** (ipv6Pool.subnetSizeIpv6 - Number(ipv6Pool.sliceSubnetIpv6.split("/")[1]));
                        const dual = { ...ledger.spec, ...ipv6Pool };
                        const pool = ipv6PoolOf(dual)!;
                        const unpairable = reclaim(ledger, now).ledger.allocations.filter(
                            (entry) =>
                                entry.index >= limit ||
                                (ledger.spec.reservedRanges ?? []).some((range) =>
                                    overlaps(cidrFromString(range), cidrFromString(subnetTextAt(pool, entry.index))),
                                ),
                        );
                        if (!added.ok) {
                            expect(added.issue.holders.map((holder) => holder.clusterName).sort()).toEqual(
                                unpairable.map((entry) => entry.clusterName).sort(),
                            );
                            continue;
                        }
                        expect(unpairable).toEqual([]);
                        // Nobody is renumbered: every remaining cluster keeps its index and IPv4 subnet.
                        for (const entry of added.ledger.allocations) {
                            const before = ledger.allocations.find((e) => e.clusterName === entry.clusterName)!;
                            expect([entry.index, entry.subnet]).toEqual([before.index, before.subnet]);
                        }
                        ledger = added.ledger;
                    } else if (step.op === "reserve") {
                        const issues = reservedOverlapsWithHeld(ledger, step.ranges, now);
                        if (issues.length > 0 && !step.accept) {
                            continue;
                        }
                        for (const holder of issues.flatMap((issue) => issue.holders)) {
                            const entry = ledger.allocations.find((e) => e.clusterName === holder.clusterName)!;
                            keptThrough.add(key(entry.clusterName, entry.index));
                            expect([entry.subnet, entry.subnetIpv6]).toContain(holder.subnet);
                        }
                        ledger = withSettings(ledger, { ...ledger.spec, reservedRanges: step.ranges });
                    } else if (step.op === "allocate") {
                        const before = ledger;
                        const result = allocate(ledger, step.cluster, now, {
                            requestedIndex: step.requested ?? undefined,
                            pinned: step.requested !== null && step.pinned,
                        });
                        if (result.ok) {
                            ledger = result.ledger;
                            const { allocation, outcome } = result.value;
                            if (outcome === "allocated") {
                                expect(reservedByText(ledger, allocation.index)).toBe(false);
                                if (step.requested === null || allocation.index !== step.requested) {
                                    const held = new Set(reclaim(before, now).ledger.allocations.map((e) => e.index));
                                    for (let i = 0; i < allocation.index; i++) {
                                        expect(held.has(i) || reservedByText(ledger, i)).toBe(true);
                                    }
                                }
                            }
                        } else {
                            expect(["no-available-subnets", "requested-subnet-taken", "requested-subnet-reserved"]).toContain(result.issue.code);
                        }
                    } else if (step.op === "release") {
                        ledger = release(ledger, step.cluster, now).ledger;
                    } else if (step.op === "reclaim-early") {
                        const early = reclaimEarly(ledger, step.cluster);
                        ledger = early.ok ? early.ledger : ledger;
                    } else {
                        ledger = reclaim(ledger, now).ledger;
                    }
                    for (const held of [...keptThrough]) {
                        if (!ledger.allocations.some((entry) => key(entry.clusterName, entry.index) === held)) {
                            keptThrough.delete(held);
                        }
                    }
                    expect(ledgerProblems(ledger)).toEqual([]);
                    const pools = slicePoolsOf(ledger.spec);
                    for (const family of ["subnet", "subnetIpv6"] as const) {
                        const subnets = ledger.allocations.map((e) => e[family]).filter((subnet) => subnet !== undefined);
                        expect(new Set(subnets).size).toBe(subnets.length);
                    }
                    for (const entry of ledger.allocations) {
                        expect(indexOfSubnet(pools.primary, entry.subnet)).toEqual({ ok: true, index: entry.index });
                        if (pools.ipv6 === undefined) {
                            expect(entry.subnetIpv6).toBeUndefined();
                        } else {
                            expect(indexOfSubnet(pools.ipv6, entry.subnetIpv6!)).toEqual({ ok: true, index: entry.index });
                        }
                    }
                    for (const entry of ledger.allocations.filter((e) => !isReclaimable(ledger, e, at(clock)))) {
                        if (reservedByText(ledger, entry.index)) {
                            expect(keptThrough.has(key(entry.clusterName, entry.index))).toBe(true);
                        }
                    }
                    const total = Number(pairedSize(pools));
                    const figures = capacity(ledger, at(clock));
                    expect(figures.totalSubnets).toBe(total);
                    const reservedCount = Array.from({ length: total }, (_, i) => i).filter((i) => reservedByText(ledger, i)).length;
                    expect(figures.reservedSubnets).toBe(reservedCount);
                    expect(figures.availableSubnets).toBeGreaterThanOrEqual(0);
                }
            }),
            { numRuns: 400 },
        );
    });
});
