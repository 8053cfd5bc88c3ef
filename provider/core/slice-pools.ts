import { cidrFromString } from "./cidr";
import { indexableSubnets, Pool, poolSize, subnetAt, subnetTextAt } from "./pool";
import { indexRuns, IndexRun, mergeSpans, reservedSpans, reservingRange, SubnetSpan } from "./reserved";

/**
 * The pools of one slice, indexed together: its primary pool (`sliceSubnet`,
 * IPv4 or IPv6) and, for a dual-stack slice, its IPv6 pool. Index k names the
 * k-th subnet of each, so a cluster holding index k holds both, and either
 * address tells the other. An index exists only where both pools have a
 * subnet, and is usable only where no reserved range of either family touches
 * its subnet of that family: a single-stack slice is the case with one pool.
 */
export interface SlicePools {
    readonly primary: Pool;
    readonly ipv6?: Pool;
}

/** The settings of a slice that name its pools (a spec, or inputs not yet registered). */
export interface PoolSettings {
    readonly sliceSubnet: string;
    readonly subnetSize: number;
    readonly sliceSubnetIpv6?: string;
    readonly subnetSizeIpv6?: number;
}

/** The pools a slice's settings name. The settings must be valid. */
export function slicePoolsOf(settings: PoolSettings): SlicePools {
    const primary = { sliceSubnet: cidrFromString(settings.sliceSubnet), subnetSize: settings.subnetSize };
    const ipv6 = ipv6PoolOf(settings);
    return ipv6 === undefined ? { primary } : { primary, ipv6 };
}

/** The IPv6 pool of a dual-stack slice, or undefined for a single-stack one. */
export function ipv6PoolOf(settings: PoolSettings): Pool | undefined {
    return settings.sliceSubnetIpv6 === undefined || settings.subnetSizeIpv6 === undefined
        ? undefined
        : { sliceSubnet: cidrFromString(settings.sliceSubnetIpv6), subnetSize: settings.subnetSizeIpv6 };
}

/** Each pool of the slice, the primary first. */
export function eachPool(pools: SlicePools): readonly Pool[] {
    return pools.ipv6 === undefined ? [pools.primary] : [pools.primary, pools.ipv6];
}

/** How many indexes name a subnet in every pool, exactly: the smaller pool's size. */
export function pairedSize(pools: SlicePools): bigint {
    const primary = poolSize(pools.primary);
    if (pools.ipv6 === undefined) {
        return primary;
    }
    const ipv6 = poolSize(pools.ipv6);
    return ipv6 < primary ? ipv6 : primary;
}

/** The indexes that can be handed out: {@link pairedSize}, within every pool's indexable subnets. */
export function pairedIndexable(pools: SlicePools): number {
    const primary = indexableSubnets(pools.primary);
    return pools.ipv6 === undefined ? primary : Math.min(primary, indexableSubnets(pools.ipv6));
}

/**
 * The indexes reserved ranges keep out of allocation, as sorted, disjoint,
 * merged spans within {@link pairedSize}: an index is reserved when a range
 * touches its subnet in either pool (each range reserves only in the pool of
 * its own family). Cost grows with the ranges, never with the pools.
 */
export function pairedReservedSpans(pools: SlicePools, reservedRanges: readonly string[] | undefined): readonly SubnetSpan[] {
    if (pools.ipv6 === undefined) {
        return reservedSpans(pools.primary, reservedRanges);
    }
    const limit = pairedSize(pools);
    return mergeSpans(
        eachPool(pools)
            .flatMap((pool) => reservedSpans(pool, reservedRanges))
            .filter((span) => span.first < limit)
            .map((span) => ({ first: span.first, last: span.last < limit ? span.last : limit - 1n })),
    );
}

/** {@link pairedReservedSpans} within the indexes that can be handed out, as runs of indexes. */
export function pairedReservedRuns(pools: SlicePools, reservedRanges: readonly string[] | undefined): readonly IndexRun[] {
    return pairedIndexRuns(pools, pairedReservedSpans(pools, reservedRanges));
}

/** Spans within the indexes that can be handed out, as runs of indexes. */
export function pairedIndexRuns(pools: SlicePools, spans: readonly SubnetSpan[]): readonly IndexRun[] {
    if (pools.ipv6 === undefined) {
        return indexRuns(pools.primary, spans);
    }
    // indexRuns clips to the pool's own indexable subnets; the smaller pool's count is the limit of both.
    const limit = pairedIndexable(pools);
    return indexRuns(pools.primary, spans)
        .filter((run) => run.first < limit)
        .map((run) => ({ first: run.first, last: Math.min(run.last, limit - 1) }));
}

/** The first reserved range (as given) that touches the subnet at `index` in any pool of the slice. */
export function pairedReservingRange(pools: SlicePools, reservedRanges: readonly string[] | undefined, index: number): string | undefined {
    for (const pool of eachPool(pools)) {
        const range = reservingRange(pool, reservedRanges, index);
        if (range !== undefined) {
            return range;
        }
    }
    return undefined;
}

/** The IPv6 pool's subnet paired with `index`, or undefined (a single-stack slice, or an index past the pool). */
export function ipv6SubnetAt(pools: SlicePools, index: number): string | undefined {
    return pools.ipv6 === undefined || subnetAt(pools.ipv6, index) === undefined ? undefined : subnetTextAt(pools.ipv6, index);
}
