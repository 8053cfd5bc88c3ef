import { LedgerCounters, SliceLedger } from "./ledger";

/**
 * Upper bounds (seconds) of the allocation-latency histogram: the guide's
 * `ipam_allocation_latency_seconds` buckets.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.01, 0.1, 1, 10];

/** Counters of a slice with nothing recorded yet. */
export function emptyCounters(): LedgerCounters {
    return {
        conflicts: 0,
        allocationsSucceeded: 0,
        allocationsFailed: 0,
        releases: 0,
        reclaimed: 0,
        allocationLatency: { bucketCounts: LATENCY_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 },
    };
}

/** What one ledger change adds to the counters. */
export interface CounterIncrements {
    readonly conflicts?: number;
    readonly allocationsSucceeded?: number;
    readonly allocationsFailed?: number;
    readonly releases?: number;
    readonly reclaimed?: number;
    /** One allocation's latency, in seconds. */
    readonly allocationLatencySeconds?: number;
}

/** Returns the ledger with `increments` added to its counters. */
export function countIn(ledger: SliceLedger, increments: CounterIncrements): SliceLedger {
    const c = ledger.counters;
    const latency = increments.allocationLatencySeconds;
    return {
        ...ledger,
        counters: {
            conflicts: c.conflicts + (increments.conflicts ?? 0),
            allocationsSucceeded: c.allocationsSucceeded + (increments.allocationsSucceeded ?? 0),
            allocationsFailed: c.allocationsFailed + (increments.allocationsFailed ?? 0),
            releases: c.releases + (increments.releases ?? 0),
            reclaimed: c.reclaimed + (increments.reclaimed ?? 0),
            allocationLatency:
                latency === undefined
                    ? c.allocationLatency
                    : {
                          // Non-cumulative: each observation lands in the first bucket it fits; +Inf is count minus the rest.
                          bucketCounts: c.allocationLatency.bucketCounts.map((n, i) =>
                              LATENCY_BUCKETS_SECONDS.findIndex((bound) => latency <= bound) === i ? n + 1 : n,
                          ),
                          sum: c.allocationLatency.sum + latency,
                          count: c.allocationLatency.count + 1,
                      },
        },
    };
}
