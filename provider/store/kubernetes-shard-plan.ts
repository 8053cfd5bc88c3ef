import { randomBytes } from "node:crypto";
import { Allocation, SliceLedger } from "../core/ledger";
import { Head } from "./kubernetes-head-view";
import { NewShard } from "./kubernetes-ledger-objects";
import { partition, ShardRef, shardRef } from "./sliceipam-shard";
import { sameAllocations } from "../core/same-allocation";
import { NO_RECENT_CHANGES, RECENT_LIMIT, RecentChanges, recentChanges, recentSize } from "./sliceipam-recent";

// Which shards a commit writes. An entry's home is the shard of its subnet
// index range, and a shard's content never changes. A commit whose entries
// differ from the shards' in at most RECENT_LIMIT places writes no shard:
// the differences ride in the head (sliceipam-recent.ts). Past that, it
// writes a new shard for each range whose entries differ and keeps the others.

/** The shards a commit's head references and what their entries are, by shard number. */
export type ShardContents = ReadonlyMap<number, { readonly ref: ShardRef; readonly entries: readonly Allocation[] }>;

export interface ShardPlan {
    readonly refs: readonly ShardRef[];
    /** Shards to create before the head is written. */
    readonly created: readonly NewShard[];
    /** `before`'s shards the commit no longer references. */
    readonly obsolete: readonly ShardRef[];
    /** `next`'s entries that differ from the shards': written in the head. */
    readonly recent: RecentChanges;
    readonly contents: ShardContents;
}

/**
 * How `next` is stored over `before`'s shards (none: a registration, or a
 * head in the single-object form). A registration writes every entry to
 * shards: a copied ledger is whole from the start.
 */
export function planShards(sliceName: string, next: SliceLedger, before: Head | undefined): ShardPlan {
    const stored: ShardContents = before?.shards ?? new Map();
    const groups = partition(next.allocations);
    if (before !== undefined) {
        const storedEntries = new Map([...stored].map(([shard, { entries }]) => [shard, entries]));
        const recent = recentChanges(storedEntries, groups);
        if (recentSize(recent) <= RECENT_LIMIT) {
            const refs = [...stored.values()].map(({ ref }) => ref).sort((a, b) => a.shard - b.shard);
            return { refs, created: [], obsolete: [], recent, contents: stored };
        }
    }
    const refs: ShardRef[] = [];
    const created: NewShard[] = [];
    const contents = new Map<number, { ref: ShardRef; entries: readonly Allocation[] }>();
    for (const [shard, entries] of groups) {
        const old = stored.get(shard);
        if (old !== undefined && sameAllocations(old.entries, entries)) {
            refs.push(old.ref);
            contents.set(shard, old);
        } else {
            const ref = shardRef(sliceName, shard, nonce(), entries);
            refs.push(ref);
            created.push({ ref, entries });
            contents.set(shard, { ref, entries });
        }
    }
    const kept = new Set(refs.map((ref) => ref.name));
    const obsolete = [...stored.values()].map((s) => s.ref).filter((ref) => !kept.has(ref.name));
    return { refs, created, obsolete, recent: NO_RECENT_CHANGES, contents };
}

/** A new name part: shards and commits never reuse one. */
export function nonce(): string {
    return randomBytes(6).toString("hex");
}
