import type { Allocation } from "./ledger";

/**
 * Entries equal in every stored field (an IPv6 subnet is derived from the
 * index, never stored); usually the very same objects, since the core keeps
 * unchanged entries.
 */
export function sameAllocation(x: Allocation, y: Allocation): boolean {
    return (
        x === y ||
        (x.clusterName === y.clusterName &&
            x.index === y.index &&
            x.subnet === y.subnet &&
            x.status === y.status &&
            x.allocatedAt === y.allocatedAt &&
            x.releasedAt === y.releasedAt)
    );
}

/** The same entries in the same order. */
export function sameAllocations(a: readonly Allocation[], b: readonly Allocation[]): boolean {
    return a.length === b.length && a.every((x, i) => sameAllocation(x, b[i]));
}
