import { LRUCache } from "lru-cache";
import { Allocation } from "../core/ledger";
import { processWide } from "./process-wide";
import { ShardRef } from "./sliceipam-shard";

// Shards are immutable and never reuse a name, so a shard once read is valid
// for the life of the process. Providers are constructed per call, so the
// cache is process-wide (process-wide.ts); bounded by entries.
const SHARD_CACHE_ENTRIES = 262_144;

const shardCache = () =>
    processWide(
        "kubeslice-ipam.kubernetes-shard-cache",
        () =>
            new LRUCache<string, readonly Allocation[]>({
                maxSize: SHARD_CACHE_ENTRIES,
                sizeCalculation: (entries) => entries.length + 1,
            }),
    );

/**
 * The entries of every shard this process has read or written, as one store
 * location (server and namespace) sees them: a load reads the head plus only
 * the shards it has not seen, usually none or the one another writer just
 * made. Keyed by name and content digest, so a shard is never mistaken for
 * another store's or another content.
 */
export class ShardCache {
    constructor(private readonly storeKey: string) {}

    get(ref: ShardRef): readonly Allocation[] | undefined {
        return shardCache().get(this.keyOf(ref));
    }

    set(ref: ShardRef, entries: readonly Allocation[]): void {
        shardCache().set(this.keyOf(ref), entries);
    }

    private keyOf(ref: ShardRef): string {
        return `${this.storeKey}\u0000${ref.name}\u0000${ref.digest}`;
    }
}
