import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, Allocation, capacity, ledgerProblems, reclaim, release, SliceLedger } from "../../provider/core/ledger";
import { applyUsage, UsageObservation } from "../../provider/core/usage";
import { at, ledgerFor } from "./ledger-fixtures";

// A small pool so that sequences hit exhaustion, the cluster limit, reuse and reclamation often.
const SLICE = { sliceSubnet: "192.168.0.0/26", subnetSize: 29, gracePeriodSeconds: 100, maxClusters: 6 };
const clusters = ["c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7"];

const observation = () =>
    fc.oneof(
        fc
            .record({ clusterName: fc.constantFrom(...clusters), connectedPods: fc.nat({ max: 3 }) })
            .map(({ clusterName, connectedPods }): UsageObservation => ({
                clusterName,
                found: true,
                workerSliceConfig: `blue-${clusterName}`,
                connectedPods,
                ignored: [],
            })),
        fc
            .constantFrom(...clusters)
            .map((clusterName): UsageObservation => ({ clusterName, found: false, workerSliceConfig: `blue-${clusterName}` })),
    );
const step = () =>
    fc.oneof(
        fc.record({ op: fc.constant("allocate" as const), cluster: fc.constantFrom(...clusters) }),
        fc.record({ op: fc.constant("release" as const), cluster: fc.constantFrom(...clusters) }),
        fc.record({ op: fc.constant("usage" as const), observations: fc.array(observation(), { maxLength: 4 }) }),
        fc.record({ op: fc.constant("reclaim" as const) }),
        fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 150 }) }),
    );

/** An entry as allocation logic sees it: InUse is Allocated with a note. */
const asAllocated = (entry: Allocation) => ({ ...entry, status: entry.status === "InUse" ? "Allocated" : entry.status });

describe("usage properties", () => {
    it("InUse never changes what is allocated, released, reclaimed or available, and only a release ends it", () => {
        fc.assert(
            fc.property(fc.array(step(), { maxLength: 60 }), (steps) => {
                // The same history twice: with usage observations, and without any.
                let observed: SliceLedger = ledgerFor(SLICE);
                let plain: SliceLedger = ledgerFor(SLICE);
                let clock = 0;
                for (const s of steps) {
                    const now = at(clock);
                    const before = observed;
                    if (s.op === "wait") {
                        clock += s.seconds;
                    } else if (s.op === "allocate") {
                        const a = allocate(observed, s.cluster, now);
                        const b = allocate(plain, s.cluster, now);
                        expect(a.ok ? a.value.allocation.subnet : a.issue.code).toBe(b.ok ? b.value.allocation.subnet : b.issue.code);
                        expect(a.ok && a.value.outcome).toBe(b.ok && b.value.outcome);
                        observed = a.ok ? a.ledger : observed;
                        plain = b.ok ? b.ledger : plain;
                    } else if (s.op === "release") {
                        const a = release(observed, s.cluster, now);
                        const b = release(plain, s.cluster, now);
                        expect(a.value.changed).toBe(b.value.changed);
                        observed = a.ledger;
                        plain = b.ledger;
                    } else if (s.op === "reclaim") {
                        const a = reclaim(observed, now);
                        const b = reclaim(plain, now);
                        expect(a.reclaimed.map((e) => e.subnet)).toEqual(b.reclaimed.map((e) => e.subnet));
                        observed = a.ledger;
                        plain = b.ledger;
                    } else {
                        const applied = applyUsage(observed, s.observations);
                        observed = applied.ledger;
                        for (const [i, result] of applied.clusters.entries()) {
                            const o = s.observations[i];
                            const changed = result.outcome === "marked-in-use";
                            const was = before.allocations.find((e) => e.clusterName === o.clusterName)?.status;
                            // Only an Allocated cluster with connected pods changes, and only to InUse.
                            if (changed) {
                                expect(o.found && o.connectedPods > 0).toBe(true);
                                expect(result.status).toBe("InUse");
                            }
                            if (was === "Released") {
                                expect(result.outcome).toBe("released");
                            }
                        }
                        // Applying the same observations again changes nothing.
                        expect(applyUsage(observed, s.observations).ledger).toBe(observed);
                    }
                    // InUse is sticky: only a release (or a reclaim after it) ends it.
                    for (const entry of before.allocations.filter((e) => e.status === "InUse")) {
                        const now = observed.allocations.find((e) => e.clusterName === entry.clusterName);
                        const releasedNow = s.op === "release" && s.cluster === entry.clusterName;
                        expect(now?.status).toBe(releasedNow ? "Released" : "InUse");
                    }
                    expect(ledgerProblems(observed)).toEqual([]);
                    expect(observed.allocations.map(asAllocated)).toEqual(plain.allocations);
                    expect(capacity(observed, at(clock))).toEqual(capacity(plain, at(clock)));
                }
            }),
            { numRuns: 300 },
        );
    });
});
