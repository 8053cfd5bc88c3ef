import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NaiveAllocator } from "../../bench/naive-allocator";
import { allocate, capacity, isActive, ledgerProblems, markInUse, reclaim, release, SliceLedger } from "../../provider/core/ledger";
import { at, ledgerFor } from "./ledger-fixtures";

// A small pool (8 subnets, 6 clusters allowed) so that sequences hit exhaustion,
// the cluster limit, reuse and reclamation often.
const SLICE = { sliceSubnet: "192.168.0.0/26", subnetSize: 29, gracePeriodSeconds: 100, maxClusters: 6 };
// Without the cluster limit, for properties about the pool alone.
const POOL_ONLY = { ...SLICE, maxClusters: 4096 };
const clusters = ["c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8", "c-9"];

const cluster = () => fc.constantFrom(...clusters);
const command = () =>
    fc.oneof(
        fc.record({ op: fc.constant("allocate" as const), cluster: cluster() }),
        fc.record({ op: fc.constant("release" as const), cluster: cluster() }),
        fc.record({ op: fc.constant("markInUse" as const), cluster: cluster() }),
        fc.record({ op: fc.constant("reclaim" as const) }),
        fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 150 }) }),
    );

describe("ledger properties", () => {
    it("any interleaving keeps subnets unique, inside the pool and first-fit, and matches the guide's allocator", () => {
        fc.assert(
            fc.property(fc.array(command(), { maxLength: 80 }), (commands) => {
                let ledger: SliceLedger = ledgerFor(SLICE);
                const reference = new NaiveAllocator(SLICE.sliceSubnet, SLICE.subnetSize, SLICE.gracePeriodSeconds * 1000, SLICE.maxClusters);
                let clock = 0;
                for (const step of commands) {
                    const now = at(clock);
                    if (step.op === "wait") {
                        clock += step.seconds;
                    } else if (step.op === "allocate") {
                        const before = ledger;
                        const result = allocate(ledger, step.cluster, now);
                        const expected = reference.allocate(step.cluster, now.getTime());
                        expect(result.ok ? result.value.allocation.subnet : undefined).toBe(expected);
                        if (result.ok) {
                            ledger = result.ledger;
                            if (result.value.outcome === "allocated") {
                                // First-fit: every lower index is held by someone.
                                const held = new Set(ledger.allocations.map((e) => e.index));
                                for (let i = 0; i < result.value.allocation.index; i++) {
                                    expect(held.has(i)).toBe(true);
                                }
                            }
                            // The capacity it reports is the ledger's, before and after the change.
                            if (result.value.outcome !== "existing") {
                                expect(result.value.capacity).toEqual({ before: capacity(before, now), after: capacity(ledger, now) });
                            }
                            // Idempotent: asking again changes nothing.
                            const again = allocate(ledger, step.cluster, now);
                            expect(again.ok && again.ledger).toBe(ledger);
                        } else {
                            expect(ledger).toBe(before);
                            expect(["no-available-subnets", "max-clusters-reached"]).toContain(result.issue.code);
                        }
                    } else if (step.op === "release") {
                        ledger = release(ledger, step.cluster, now).ledger; // cannot fail: its type says so
                        reference.release(step.cluster, now.getTime());
                    } else if (step.op === "markInUse") {
                        const result = markInUse(ledger, step.cluster);
                        if (result.ok) {
                            ledger = result.ledger;
                        }
                    } else {
                        ledger = reclaim(ledger, now).ledger;
                        reference.reclaim(now.getTime());
                    }
                    expect(ledgerProblems(ledger)).toEqual([]);
                    const subnets = ledger.allocations.map((e) => e.subnet);
                    expect(new Set(subnets).size).toBe(subnets.length);
                    expect(ledger.allocations.filter(isActive).length).toBeLessThanOrEqual(SLICE.maxClusters);
                    const figures = capacity(ledger, at(clock));
                    expect(figures.availableSubnets).toBeGreaterThanOrEqual(0);
                    expect(figures.activeSubnets + figures.releasedSubnets).toBeLessThanOrEqual(figures.totalSubnets);
                }
            }),
            { numRuns: 300 },
        );
    });

    it("a released subnet always returns to its cluster within the grace period", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 99 }), (others, elapsed) => {
                let ledger = ledgerFor(POOL_ONLY);
                const first = allocate(ledger, "c-0", at(0));
                ledger = first.ok ? first.ledger : ledger;
                ledger = release(ledger, "c-0", at(1)).ledger;
                for (let i = 1; i <= others; i++) {
                    const other = allocate(ledger, clusters[i], at(1));
                    ledger = other.ok ? other.ledger : ledger;
                }
                const back = allocate(ledger, "c-0", at(1 + elapsed));
                expect(back.ok && back.value.outcome).toBe("reused");
                expect(back.ok && back.value.allocation.subnet).toBe(first.ok && first.value.allocation.subnet);
            }),
        );
    });

    it("release then expiry restores the free space", () => {
        fc.assert(
            fc.property(fc.subarray(clusters, { minLength: 1, maxLength: 8 }), (members) => {
                let ledger = ledgerFor(POOL_ONLY);
                for (const member of members) {
                    const r = allocate(ledger, member, at(0));
                    ledger = r.ok ? r.ledger : ledger;
                }
                const before = capacity(ledger, at(0)).availableSubnets;
                for (const member of members) {
                    ledger = release(ledger, member, at(1)).ledger;
                }
                expect(capacity(ledger, at(2)).availableSubnets).toBe(before);
                expect(capacity(ledger, at(1 + SLICE.gracePeriodSeconds)).availableSubnets).toBe(before + members.length);
            }),
        );
    });
});
