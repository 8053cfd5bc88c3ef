import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { Allocation, SliceLedger } from "../core/ledger";
import { inParallel } from "./in-parallel";
import { Head, HeadView } from "./kubernetes-head-view";
import { LedgerObjects } from "./kubernetes-ledger-objects";
import { ShardCache } from "./kubernetes-shard-cache";
import { CorruptLedgerError } from "./ledger-document";
import { StorageUsage } from "./ledger-store";
import { ledgerOf, SliceIpamObject } from "./sliceipam-object";
import {
    ANNOTATIONS_LIMIT_BYTES,
    annotationBytes,
    assembleLedger,
    decodeShard,
    fingerprintOf,
    headForm,
    SHARD_SPAN,
    ShardRef,
    SliceIpamShardObject,
} from "./sliceipam-shard";

/** A read missing more shards than this lists the slice's shards in one request instead of one GET each. */
const LIST_THRESHOLD = 8;
/** Legacy single-object slices are limited by etcd's request size (--max-request-bytes default). */
const LEGACY_LIMIT_BYTES = 1.5 * 1024 * 1024;
/** A head whose shards keep being replaced while it is read is read again at most this often, then the read fails. */
const HEAD_READ_ATTEMPTS = 8;

/** A shard vanished while its head was read: the head changed meanwhile. */
const STALE = Symbol("stale");

/**
 * Reads a slice: its head, then the shards the head references that the
 * shard cache does not hold. Readers only follow references, so orphaned
 * shards are never read; a referenced shard found gone means a commit
 * replaced it after the head was read, and the head is read again. A head
 * in the single-object form of 0.1 (no ledger annotation) is read from its
 * status, as that version wrote it. Every head read is remembered in the
 * head view.
 */
export class HeadReader {
    constructor(
        private readonly objects: LedgerObjects,
        private readonly cache: ShardCache,
        private readonly view: HeadView,
    ) {}

    /** The slice's head and entries from the server; undefined (and remembered so) when the server says it does not exist. */
    async load(sliceName: string): Promise<Head | undefined> {
        for (let attempt = 0; attempt < HEAD_READ_ATTEMPTS; attempt++) {
            const object = await this.objects.head(sliceName);
            if (object === undefined) {
                this.view.remember(sliceName, undefined);
                return undefined;
            }
            const head = await this.read(object);
            if (head !== undefined) {
                return head;
            }
        }
        throw new KubesliceIpamError(
            "ledger-changed-while-read",
            `${this.objects.description}: cannot read slice "${sliceName}": its shards kept being replaced while it was read; try again`,
        );
    }

    /** The head and its entries; undefined when a shard was replaced meanwhile (read the head again). */
    async read(object: SliceIpamObject): Promise<Head | undefined> {
        const sliceName = object.metadata.name;
        const form = headForm(object);
        if (form.form === "corrupt") {
            throw this.objects.corrupt(object, form.problems);
        }
        let head: Head;
        if (form.form === "legacy") {
            const decoded = ledgerOf(object);
            if (!decoded.ok) {
                throw this.objects.corrupt(object, decoded.problems);
            }
            head = {
                object,
                version: object.metadata.resourceVersion!,
                fingerprint: fingerprintOf(object),
                ledger: decoded.ledger,
                shards: undefined,
                storage: {
                    usedBytes: Buffer.byteLength(JSON.stringify(object)),
                    limitBytes: LEGACY_LIMIT_BYTES,
                    limit: "SliceIpam object, single-object form (etcd request limit)",
                },
            };
        } else {
            const base = assembleLedger(object, form.settings, []);
            if (!base.ok) {
                throw this.objects.corrupt(object, base.problems);
            }
            const entries = await this.shardEntries(object, form.refs, base.ledger.spec);
            if (entries === STALE) {
                return undefined;
            }
            const assembled = assembleLedger(object, form.settings, entries, form.recent);
            if (!assembled.ok) {
                throw this.objects.corrupt(object, assembled.problems);
            }
            head = {
                object: withoutStatus(object),
                version: object.metadata.resourceVersion!,
                fingerprint: fingerprintOf(object),
                ledger: assembled.ledger,
                shards: new Map(form.refs.map((ref, i) => [ref.shard, { ref, entries: entries[i] }])),
                storage: storageOf(object.metadata.annotations),
            };
        }
        this.view.remember(sliceName, head);
        return head;
    }

    private async shardEntries(
        head: SliceIpamObject,
        refs: readonly ShardRef[],
        spec: SliceLedger["spec"],
    ): Promise<(readonly Allocation[])[] | typeof STALE> {
        const found = new Map<string, readonly Allocation[]>();
        const missing: ShardRef[] = [];
        for (const ref of refs) {
            const cached = this.cache.get(ref);
            if (cached === undefined) {
                missing.push(ref);
            } else {
                found.set(ref.name, cached);
            }
        }
        if (missing.length > 0) {
            const fetched = new Map<string, SliceIpamShardObject>();
            if (missing.length > LIST_THRESHOLD) {
                for (const shard of (await this.objects.shardsOf(head.metadata.name)).items) {
                    fetched.set(shard.metadata.name, shard);
                }
            } else {
                await inParallel(missing, async (ref) => {
                    const shard = await this.objects.shard(ref.name);
                    if (shard !== undefined) {
                        fetched.set(ref.name, shard);
                    }
                });
            }
            for (const ref of missing) {
                const shard = fetched.get(ref.name);
                if (shard === undefined) {
                    // Replaced by a commit since the head was read (not merely a new status projection)?
                    const now = await this.objects.head(head.metadata.name);
                    if (now === undefined || fingerprintOf(now) !== fingerprintOf(head)) {
                        return STALE;
                    }
                    throw this.objects.corrupt(head, [
                        `its shard SliceIpamShard ${this.objects.namespace}/${ref.name} (entries of indexes ${ref.shard * SHARD_SPAN}..${(ref.shard + 1) * SHARD_SPAN - 1}) does not exist`,
                    ]);
                }
                const decoded = decodeShard(shard, ref, spec);
                if (!decoded.ok) {
                    throw new CorruptLedgerError(
                        `SliceIpamShard ${this.objects.namespace}/${ref.name} of slice "${head.metadata.name}" (${this.objects.description})`,
                        decoded.problems,
                    );
                }
                this.cache.set(ref, decoded.ledger.allocations);
                found.set(ref.name, decoded.ledger.allocations);
            }
        }
        return refs.map((ref) => found.get(ref.name)!);
    }
}

/** How much of the head's annotation budget (the limit of a sharded slice) is used. */
export function storageOf(annotations: Record<string, string> | undefined): StorageUsage {
    return { usedBytes: annotationBytes(annotations), limitBytes: ANNOTATIONS_LIMIT_BYTES, limit: "SliceIpam annotations (256 KiB)" };
}

/** The head without its status: the projection is not part of what a commit builds on. */
export function withoutStatus(object: SliceIpamObject): SliceIpamObject {
    const { status: _status, ...rest } = object;
    return rest;
}
