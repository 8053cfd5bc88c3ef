/**
 * Upper bounds (seconds) of the allocation-latency histogram: the guide's
 * `ipam_allocation_latency_seconds` buckets.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.01, 0.1, 1, 10];

/**
 * Counters kept with the ledger: provider processes live for one `pulumi up`,
 * so metrics exporters derive counters and histograms from these.
 */
export interface LedgerCounters {
    /** Writes that lost a compare-and-swap race and were retried. */
    readonly conflicts: number;
    /** Subnets handed out (new or reused); adopting an existing allocation is not counted. */
    readonly allocationsSucceeded: number;
    /** Allocations refused: pool exhausted or cluster limit reached. */
    readonly allocationsFailed: number;
    /** Active subnets released. */
    readonly releases: number;
    /** Released subnets returned to the pool after their grace period. */
    readonly reclaimed: number;
    /** Time from request to ledger change, per successful allocation. */
    readonly allocationLatency: LatencyHistogram;
}

/** A histogram with fixed bounds (see LATENCY_BUCKETS_SECONDS); counts are per bucket, not cumulative. */
export interface LatencyHistogram {
    readonly bucketCounts: readonly number[];
    readonly sum: number;
    readonly count: number;
}

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
export function countIn<L extends { readonly counters: LedgerCounters }>(ledger: L, increments: CounterIncrements): L {
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
