import { blockSize, Cidr, lastAddress, overlaps, parseCidr } from "./cidr";
import { indexableSubnets, Pool, subnetTextAt } from "./pool";

/** A run of pool indexes, both ends included. */
export interface IndexRun {
    readonly first: number;
    readonly last: number;
}

/** A run of subnets of the pool by exact position, both ends included: positions past 2^53 too. */
export interface SubnetSpan {
    readonly first: bigint;
    readonly last: bigint;
}

/**
 * The pool positions reserved ranges keep out of allocation, as sorted,
 * disjoint, merged spans, exact for any pool size. A range touching any
 * address of a subnet reserves the whole subnet; ranges outside the pool
 * (or of the other IP version) reserve nothing. Cost grows with the number of
 * ranges, never with the pool, so a /8 reserved inside a /8 of /30s is one
 * span, not four million positions.
 */
export function reservedSpans(pool: Pool, reservedRanges: readonly string[] | undefined): readonly SubnetSpan[] {
    const spans: SubnetSpan[] = [];
    const step = blockSize(pool.sliceSubnet.version, pool.subnetSize);
    const poolFirst = pool.sliceSubnet.network;
    const poolLast = lastAddress(pool.sliceSubnet);
    for (const text of reservedRanges ?? []) {
        const parsed = parseCidr(text);
        if (!parsed.ok || !overlaps(parsed.cidr, pool.sliceSubnet)) {
            continue;
        }
        const from = parsed.cidr.network > poolFirst ? parsed.cidr.network : poolFirst;
        const to = lastAddress(parsed.cidr) < poolLast ? lastAddress(parsed.cidr) : poolLast;
        spans.push({ first: (from - poolFirst) / step, last: (to - poolFirst) / step });
    }
    return mergeSpans(spans);
}

/** Spans as sorted, disjoint spans, overlapping and adjacent ones merged. */
export function mergeSpans(spans: readonly SubnetSpan[]): readonly SubnetSpan[] {
    const sorted = [...spans].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    const merged: SubnetSpan[] = [];
    for (const span of sorted) {
        const previous = merged[merged.length - 1];
        if (previous !== undefined && span.first <= previous.last + 1n) {
            merged[merged.length - 1] = { first: previous.first, last: span.last > previous.last ? span.last : previous.last };
        } else {
            merged.push(span);
        }
    }
    return merged;
}

/** How many subnets of the pool reserved ranges touch, exactly. */
export function reservedCount(pool: Pool, reservedRanges: readonly string[] | undefined): bigint {
    return spanCount(reservedSpans(pool, reservedRanges));
}

/** How many subnets the spans cover. */
export function spanCount(spans: readonly SubnetSpan[]): bigint {
    return spans.reduce((sum, span) => sum + span.last - span.first + 1n, 0n);
}

/**
 * The pool indexes reserved ranges keep out of allocation, as sorted,
 * disjoint runs: {@link reservedSpans} within the indexable subnets, where
 * every index is a safe integer.
 */
export function reservedRuns(pool: Pool, reservedRanges: readonly string[] | undefined): readonly IndexRun[] {
    return indexRuns(pool, reservedSpans(pool, reservedRanges));
}

/** The spans within the pool's indexable subnets, as runs of indexes. */
export function indexRuns(pool: Pool, spans: readonly SubnetSpan[]): readonly IndexRun[] {
    const limit = BigInt(indexableSubnets(pool));
    return spans
        .filter((span) => span.first < limit)
        .map((span) => ({ first: Number(span.first), last: Number(span.last < limit ? span.last : limit - 1n) }));
}

/** How many pool subnets the runs cover. */
export function runLength(runs: readonly IndexRun[]): number {
    return runs.reduce((sum, run) => sum + run.last - run.first + 1, 0);
}

/** The run holding `index`, if any (binary search over sorted runs). */
export function runContaining(runs: readonly IndexRun[], index: number): IndexRun | undefined {
    let low = 0;
    let high = runs.length - 1;
    while (low <= high) {
        const middle = (low + high) >> 1;
        const run = runs[middle];
        if (index < run.first) {
            high = middle - 1;
        } else if (index > run.last) {
            low = middle + 1;
        } else {
            return run;
        }
    }
    return undefined;
}

/**
 * The lowest index at or after `from` that is in no run and not in `taken`.
 * `isTaken` is asked only for indexes outside the runs; each run is skipped
 * in one step.
 */
export function nextFreeIndex(runs: readonly IndexRun[], from: number, isTaken: (index: number) => boolean): number {
    let cursor = from;
    for (;;) {
        const run = runContaining(runs, cursor);
        if (run !== undefined) {
            cursor = run.last + 1;
        } else if (isTaken(cursor)) {
            cursor++;
        } else {
            return cursor;
        }
    }
}

/** The first reserved range (as given) that touches the subnet at `index`. */
export function reservingRange(pool: Pool, reservedRanges: readonly string[] | undefined, index: number): string | undefined {
    if (index < 0 || index >= indexableSubnets(pool)) {
        return undefined;
    }
    const subnet = parseCidr(subnetTextAt(pool, index));
    return subnet.ok ? (reservedRanges ?? []).find((text) => touches(text, subnet.cidr)) : undefined;
}

function touches(text: string, cidr: Cidr): boolean {
    const parsed = parseCidr(text);
    return parsed.ok && overlaps(parsed.cidr, cidr);
}
