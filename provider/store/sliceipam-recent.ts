import { Allocation } from "../core/ledger";
import { sameAllocation, sameAllocations } from "../core/same-allocation";

/**
 * A slice's entries that differ from what its shards hold, kept in the
 * head's ledger annotation (format 3) so that a commit changing a few
 * entries writes the head alone: no new shard, no deletion of the replaced
 * one. Through the engine, where creates arrive one by one tens of
 * milliseconds apart, a shard's create and its deletion were about two
 * thirds of the API server's work per commit. Pure.
 */
export interface RecentChanges {
    /** Entries whose index the shards hold differently or not at all, in index order. */
    readonly recent: readonly Allocation[];
    /** Indexes the shards hold an entry for that the ledger no longer has, ascending. */
    readonly vacated: readonly number[];
}

export const NO_RECENT_CHANGES: RecentChanges = { recent: [], vacated: [] };

/**
 * Changes beyond this many (entries plus vacated indexes) are written to new
 * shards by the commit that would exceed it, and the list starts empty again:
 * 32 entries with 63-character cluster names add about 5 KB to each head write.
 */
export const RECENT_LIMIT = 32;

export function recentSize(changes: RecentChanges): number {
    return changes.recent.length + changes.vacated.length;
}

/**
 * What a ledger changes over its shards: `groups` are its entries by shard
 * number (partition), `stored` the shards' entries by shard number. A range
 * whose entries are the shard's (usually the very same objects) costs one
 * comparison per entry.
 */
export function recentChanges(stored: ReadonlyMap<number, readonly Allocation[]>, groups: ReadonlyMap<number, readonly Allocation[]>): RecentChanges {
    const recent: Allocation[] = [];
    const vacated: number[] = [];
    const shards = [...new Set([...stored.keys(), ...groups.keys()])].sort((a, b) => a - b);
    for (const shard of shards) {
        const old = stored.get(shard) ?? [];
        const now = groups.get(shard) ?? [];
        if (sameAllocations(old, now)) {
            continue;
        }
        const oldAt = new Map(old.map((entry) => [entry.index, entry]));
        for (const entry of now) {
            const before = oldAt.get(entry.index);
            if (before === undefined || !sameAllocation(before, entry)) {
                recent.push(entry);
            }
            oldAt.delete(entry.index);
        }
        vacated.push(...[...oldAt.keys()].sort((a, b) => a - b));
    }
    return { recent, vacated };
}

/**
 * The shards' entries (in index order) with `changes` applied, in index
 * order; `problems` when the changes do not fit the shards (a hand edit).
 */
export function withRecentChanges(stored: readonly Allocation[], changes: RecentChanges): { entries: readonly Allocation[]; problems: string[] } {
    if (recentSize(changes) === 0) {
        return { entries: stored, problems: [] };
    }
    const problems: string[] = [];
    const byIndex = new Map<number, Allocation>(stored.map((entry) => [entry.index, entry]));
    for (const index of changes.vacated) {
        if (!byIndex.delete(index)) {
            problems.push(`vacated index ${index} is not held by any shard`);
        }
    }
    const vacated = new Set(changes.vacated);
    for (const entry of changes.recent) {
        if (vacated.has(entry.index)) {
            problems.push(`index ${entry.index} is both vacated and held by cluster "${entry.clusterName}"`);
        }
        byIndex.set(entry.index, entry);
    }
    return { entries: [...byIndex.values()].sort((a, b) => a.index - b.index), problems };
}
