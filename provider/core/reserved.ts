import { blockSize, Cidr, lastAddress, overlaps, parseCidr } from "./cidr";
import { Pool, subnetTextAt, totalSubnets } from "./pool";

/** A run of pool indexes, both ends included. */
export interface IndexRun {
    readonly first: number;
    readonly last: number;
}

/**
 * The pool indexes reserved ranges keep out of allocation, as sorted,
 * disjoint, merged runs. A range touching any address of a subnet reserves
 * the whole subnet; ranges outside the pool reserve nothing. Cost grows with
 * the number of ranges, never with the pool, so a /8 reserved inside a /8
 * of /30s is one run, not four million indexes.
 */
export function reservedRuns(pool: Pool, reservedRanges: readonly string[] | undefined): readonly IndexRun[] {
    const runs: IndexRun[] = [];
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
        runs.push({ first: Number((from - poolFirst) / step), last: Number((to - poolFirst) / step) });
    }
    return mergeRuns(runs);
}

function mergeRuns(runs: IndexRun[]): IndexRun[] {
    const sorted = [...runs].sort((a, b) => a.first - b.first);
    const merged: IndexRun[] = [];
    for (const run of sorted) {
        const previous = merged[merged.length - 1];
        if (previous !== undefined && run.first <= previous.last + 1) {
            merged[merged.length - 1] = { first: previous.first, last: Math.max(previous.last, run.last) };
        } else {
            merged.push(run);
        }
    }
    return merged;
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
    if (index < 0 || index >= totalSubnets(pool)) {
        return undefined;
    }
    const subnet = parseCidr(subnetTextAt(pool, index));
    return subnet.ok ? (reservedRanges ?? []).find((text) => touches(text, subnet.cidr)) : undefined;
}

function touches(text: string, cidr: Cidr): boolean {
    const parsed = parseCidr(text);
    return parsed.ok && overlaps(parsed.cidr, cidr);
}
