/**
 * The allocation invariants of an IPv6 slice, with pools whose subnets sit
 * past 2^32 addresses from the start, and a huge pool (fd00::/8 of /64s,
 * 2^56 subnets) where only arithmetic can work.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrFromString, overlaps } from "../../provider/core/cidr";
import { allocate, capacity, isReclaimable, ledgerProblems, poolOf, reclaim, release, SliceLedger, withSettings } from "../../provider/core/ledger";
import { poolSize, subnetTextAt } from "../../provider/core/pool";
import { at, ledgerFor } from "./ledger-fixtures";

const clusters = ["c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8"];
// Eight /64s in a /61, and the first /64s of fd00::/8.
const SMALL = { sliceSubnet: "fd00:10:0:8::/61", subnetSize: 64, gracePeriodSeconds: 100, maxClusters: 4096 };
const HUGE = { sliceSubnet: "fd00::/8", subnetSize: 64, gracePeriodSeconds: 100, maxClusters: 4096 };
// Inside the small pool (one subnet, part of one, several), across its edge, outside it, the whole of it, and an IPv4 range.
const RANGES = ["fd00:10:0:9::/64", "fd00:10:0:a::8/125", "fd00:10:0:c::/63", "fd00:10::/60", "fd00:10:0:f::1/128", "fd00::/8", "10.0.0.0/8"];

const cluster = () => fc.constantFrom(...clusters);
const command = (maxIndex: number) =>
    fc.oneof(
        fc.record({
            op: fc.constant("allocate" as const),
            cluster: cluster(),
            requested: fc.option(fc.integer({ min: 0, max: maxIndex }), { freq: 2 }),
            pinned: fc.boolean(),
        }),
        fc.record({ op: fc.constant("release" as const), cluster: cluster() }),
        fc.record({ op: fc.constant("reclaim" as const) }),
        fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 150 }) }),
        fc.record({ op: fc.constant("reserve" as const), ranges: fc.subarray(RANGES, { maxLength: 3 }) }),
    );

/** The naive answer: does a reserved range touch the subnet at `index`? */
function reservedByText(ledger: SliceLedger, index: number): boolean {
    const subnet = cidrFromString(subnetTextAt(poolOf(ledger.spec), index));
    return (ledger.spec.reservedRanges ?? []).some((range) => overlaps(cidrFromString(range), subnet));
}

/** Runs commands on a slice; checks every invariant after each. Ranges covering held subnets are added only when nothing is held there. */
function run(spec: typeof SMALL, commands: ReturnType<typeof command> extends fc.Arbitrary<infer C> ? C[] : never): void {
    let ledger: SliceLedger = ledgerFor(spec);
    let clock = 0;
    for (const step of commands) {
        const now = at(clock);
        if (step.op === "wait") {
            clock += step.seconds;
        } else if (step.op === "reserve") {
            const next = withSettings(ledger, { ...ledger.spec, reservedRanges: step.ranges });
            const coversHeld = ledger.allocations.some((entry) => !isReclaimable(ledger, entry, now) && reservedByText(next, entry.index));
            const leavesRoom = capacity(next, now).exact.usableSubnets !== "0";
            if (!coversHeld && leavesRoom) {
                ledger = next;
            }
        } else if (step.op === "allocate") {
            const before = reclaim(ledger, now).ledger;
            const heldBefore = ledger.allocations.find((entry) => entry.clusterName === step.cluster && !isReclaimable(ledger, entry, now));
            const result = allocate(ledger, step.cluster, now, {
                requestedIndex: step.requested ?? undefined,
                pinned: step.requested !== null && step.pinned,
            });
            if (!result.ok) {
                expect(["no-available-subnets", "requested-subnet-taken", "requested-subnet-reserved"]).toContain(result.issue.code);
                continue;
            }
            ledger = result.ledger;
            const { allocation, outcome } = result.value;
            if (heldBefore !== undefined) {
                // Rejoin within grace (or asking again) returns the same subnet.
                expect(allocation.subnet).toBe(heldBefore.subnet);
            }
            if (outcome === "allocated") {
                expect(reservedByText(ledger, allocation.index)).toBe(false);
                if (step.requested === null || allocation.index !== step.requested) {
                    // First-fit: every lower index is held or reserved.
                    const held = new Set(before.allocations.map((entry) => entry.index));
                    for (let i = 0; i < allocation.index; i++) {
                        expect(held.has(i) || reservedByText(ledger, i)).toBe(true);
                    }
                }
            }
        } else if (step.op === "release") {
            ledger = release(ledger, step.cluster, now).ledger;
        } else {
            ledger = reclaim(ledger, now).ledger;
        }
        expect(ledgerProblems(ledger)).toEqual([]);
        const subnets = ledger.allocations.map((entry) => cidrFromString(entry.subnet));
        for (let i = 0; i < subnets.length; i++) {
            expect(subnets[i].version).toBe(6);
            for (let j = i + 1; j < subnets.length; j++) {
                expect(overlaps(subnets[i], subnets[j])).toBe(false);
            }
        }
        const figures = capacity(ledger, at(clock));
        expect(BigInt(figures.exact.totalSubnets)).toBe(poolSize(poolOf(ledger.spec)));
        expect(figures.availableSubnets).toBeGreaterThanOrEqual(0);
    }
}

describe("IPv6 allocation properties", () => {
    it("in a small pool: no shared subnet, first-fit lowest index, reserved ranges respected, rejoin returns the same subnet", () => {
        fc.assert(
            fc.property(fc.array(command(7), { maxLength: 70 }), (commands) => run(SMALL, commands)),
            { numRuns: 300 },
        );
    });

    it("in fd00::/8 of /64s (2^56 subnets): the same, with pins anywhere in the first 2^53", () => {
        fc.assert(
            fc.property(fc.array(command(2 ** 53 - 1), { maxLength: 50 }), (commands) => run(HUGE, commands)),
            { numRuns: 200 },
        );
    });

    it("release, then reclaim after grace, gives the lowest subnet to the next cluster", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 8 }), (count) => {
                let ledger = ledgerFor(SMALL);
                for (let i = 0; i < count; i++) {
                    const result = allocate(ledger, clusters[i], at(0));
                    ledger = result.ok ? result.ledger : ledger;
                }
                ledger = release(ledger, clusters[0], at(1)).ledger;
                const other = allocate(ledger, "late", at(1 + SMALL.gracePeriodSeconds));
                expect(other.ok && other.value.allocation.subnet).toBe("fd00:10:0:8::/64");
            }),
        );
    });
});
