import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrFromString, overlaps } from "../../provider/core/cidr";
import {
    allocate,
    capacity,
    isReclaimable,
    ledgerProblems,
    poolOf,
    reclaim,
    release,
    reservedOverlapsWithHeld,
    SliceLedger,
    withSettings,
} from "../../provider/core/ledger";
import { subnetTextAt, totalSubnets } from "../../provider/core/pool";
import { at, ledgerFor } from "./ledger-fixtures";

// 8 subnets of /29 in a /26, so sequences meet exhaustion, reuse and reclamation often.
const SLICE = { sliceSubnet: "192.168.0.0/26", subnetSize: 29, gracePeriodSeconds: 100, maxClusters: 4096 };
const clusters = ["c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8"];
// Inside the pool (one subnet, a part of one, several), across its edge, outside it, and all of it.
const RANGES = [
    "192.168.0.8/29",
    "192.168.0.20/30",
    "192.168.0.32/28",
    "192.168.0.56/32",
    "192.168.0.0/25",
    "10.0.0.0/8",
    "192.168.0.48/28",
    "192.168.0.64/26",
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
        fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 150 }) }),
        fc.record({
            op: fc.constant("reserve" as const),
            ranges: fc.subarray(RANGES, { maxLength: 3 }),
            accept: fc.boolean(),
        }),
    );

/** The naive answer, subnet by subnet: does a reserved range touch the subnet at `index`? */
function reservedByText(ledger: SliceLedger, index: number): boolean {
    const subnet = cidrFromString(subnetTextAt(poolOf(ledger.spec), index));
    return (ledger.spec.reservedRanges ?? []).some((range) => overlaps(cidrFromString(range), subnet));
}

const key = (clusterName: string, index: number) => `${clusterName}@${index}`;

describe("reserved range properties", () => {
    it("for any joins, leaves, rejoins, reclaims and range changes: nothing new lands in a reserved range, and no subnet is shared", () => {
        fc.assert(
            fc.property(fc.array(command(), { maxLength: 70 }), (commands) => {
                let ledger: SliceLedger = ledgerFor(SLICE);
                const total = totalSubnets(poolOf(ledger.spec));
                // Entries that held their subnet when a range covering it was added (with acceptance).
                const keptThrough = new Set<string>();
                let clock = 0;
                for (const step of commands) {
                    const now = at(clock);
                    if (step.op === "wait") {
                        clock += step.seconds;
                    } else if (step.op === "reserve") {
                        const issues = reservedOverlapsWithHeld(ledger, step.ranges, now);
                        const stored = new Set(ledger.spec.reservedRanges ?? []);
                        const expectedHolders = step.ranges
                            .filter((range) => !stored.has(range))
                            .flatMap((range) =>
                                ledger.allocations
                                    .filter((entry) => !isReclaimable(ledger, entry, now))
                                    .filter((entry) => overlaps(cidrFromString(range), cidrFromString(entry.subnet)))
                                    .map((entry) => entry.clusterName),
                            );
                        expect(issues.flatMap((issue) => issue.holders.map((holder) => holder.clusterName)).sort()).toEqual(
                            [...expectedHolders].sort(),
                        );
                        if (issues.length > 0 && !step.accept) {
                            continue; // refused: the ledger is untouched
                        }
                        for (const issue of issues) {
                            for (const holder of issue.holders) {
                                const entry = ledger.allocations.find((e) => e.clusterName === holder.clusterName)!;
                                keptThrough.add(key(entry.clusterName, entry.index));
                            }
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
                            if (outcome === "allocated" && (step.requested === null || allocation.index !== step.requested)) {
                                // First-fit: every lower subnet is held or reserved.
                                const held = new Set(reclaim(before, now).ledger.allocations.map((e) => e.index));
                                for (let i = 0; i < allocation.index; i++) {
                                    expect(held.has(i) || reservedByText(ledger, i)).toBe(true);
                                }
                            }
                            if (outcome === "allocated") {
                                expect(reservedByText(ledger, allocation.index)).toBe(false);
                            }
                        } else {
                            expect(["no-available-subnets", "requested-subnet-taken", "requested-subnet-reserved"]).toContain(result.issue.code);
                            if (result.issue.code === "requested-subnet-reserved") {
                                expect(reservedByText(ledger, step.requested!)).toBe(true);
                            }
                            if (result.issue.code === "no-available-subnets") {
                                const held = new Set(reclaim(ledger, now).ledger.allocations.map((e) => e.index));
                                for (let i = 0; i < total; i++) {
                                    expect(held.has(i) || reservedByText(ledger, i)).toBe(true);
                                }
                            }
                        }
                    } else if (step.op === "release") {
                        ledger = release(ledger, step.cluster, now).ledger;
                    } else {
                        ledger = reclaim(ledger, now).ledger;
                    }
                    for (const held of [...keptThrough]) {
                        if (!ledger.allocations.some((entry) => key(entry.clusterName, entry.index) === held)) {
                            keptThrough.delete(held); // reclaimed: its subnet went back to the range
                        }
                    }
                    expect(ledgerProblems(ledger)).toEqual([]);
                    const subnets = ledger.allocations.map((e) => e.subnet);
                    expect(new Set(subnets).size).toBe(subnets.length);
                    // An entry past its grace period holds nothing; the next allocation reclaims it.
                    for (const entry of ledger.allocations.filter((e) => !isReclaimable(ledger, e, at(clock)))) {
                        if (reservedByText(ledger, entry.index)) {
                            expect(keptThrough.has(key(entry.clusterName, entry.index))).toBe(true);
                        }
                    }
                    const figures = capacity(ledger, at(clock));
                    const reservedCount = Array.from({ length: total }, (_, i) => i).filter((i) => reservedByText(ledger, i)).length;
                    expect(figures.reservedSubnets).toBe(reservedCount);
                    expect(figures.availableSubnets).toBeGreaterThanOrEqual(0);
                    expect(figures.utilization).toBeGreaterThanOrEqual(0);
                    expect(figures.utilization).toBeLessThanOrEqual(1);
                }
            }),
            { numRuns: 400 },
        );
    });
});
