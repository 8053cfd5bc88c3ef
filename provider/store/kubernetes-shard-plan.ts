import { randomBytes } from "node:crypto";
import { Allocation, SliceLedger } from "../core/ledger";
import { Head } from "./kubernetes-head-view";
import { NewShard } from "./kubernetes-ledger-objects";
import { partition, ShardRef, shardRef } from "./sliceipam-shard";

// Which shards a commit writes. An entry's home is the shard of its subnet
// index range, and a shard's content never changes, so a commit writes a new
// shard exactly for each range whose entries changed and keeps the others.

/**
 * The shards `next` is made of: `before`'s where a range's entries are
 * unchanged, new ones (`created`) elsewhere; `obsolete`: `before`'s shards
 * the commit no longer references.
 */
export function planShards(
    sliceName: string,
    next: SliceLedger,
    before: Head | undefined,
): { refs: ShardRef[]; created: NewShard[]; obsolete: ShardRef[] } {
    const refs: ShardRef[] = [];
    const created: NewShard[] = [];
    for (const [shard, entries] of partition(next.allocations)) {
        const old = before?.shards?.get(shard);
        if (old !== undefined && sameEntries(old.entries, entries)) {
            refs.push(old.ref);
        } else {
            const ref = shardRef(sliceName, shard, nonce(), entries);
            refs.push(ref);
            created.push({ ref, entries });
        }
    }
    const kept = new Set(refs.map((ref) => ref.name));
    const obsolete = [...(before?.shards?.values() ?? [])].map((s) => s.ref).filter((ref) => !kept.has(ref.name));
    return { refs, created, obsolete };
}

/** A new name part: shards and commits never reuse one. */
export function nonce(): string {
    return randomBytes(6).toString("hex");
}

/** Entries equal field by field; usually the very same objects, since the core keeps unchanged entries. */
function sameEntries(a: readonly Allocation[], b: readonly Allocation[]): boolean {
    if (a.length !== b.length) {
        return false;
    }
    return a.every((x, i) => {
        const y = b[i];
        return (
            x === y ||
            (x.clusterName === y.clusterName &&
                x.index === y.index &&
                x.subnet === y.subnet &&
                x.status === y.status &&
                x.allocatedAt === y.allocatedAt &&
                x.releasedAt === y.releasedAt)
        );
    });
}
