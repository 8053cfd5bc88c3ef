import { randomBytes } from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import { LRUCache } from "lru-cache";
import { Allocation, SliceLedger } from "../core/ledger";
import { loadKubeconfig } from "./kubeconfig";
import { CorruptLedgerError } from "./ledger-document";
import { LedgerStore, StorageUsage, storableSliceName, SwapResult, VersionedLedger } from "./ledger-store";
import {
    ANNOTATION_LEDGER,
    ANNOTATIONS_LIMIT_BYTES,
    annotationBytes,
    assembleLedger,
    decodeShard,
    digestOf,
    fingerprintOf,
    headAnnotations,
    headForm,
    LABEL_SLICE,
    partition,
    projectedStatus,
    SHARD_GROUP,
    SHARD_PLURAL,
    SHARD_SPAN,
    SHARD_VERSION,
    ShardRef,
    shardObject,
    shardRef,
    SliceIpamShardObject,
} from "./sliceipam-shard";
import { UsageSource, WorkerSliceConfigUsage } from "./worker-slice-usage";
import {
    ANNOTATION_COUNTERS,
    ledgerOf,
    SLICE_IPAM_GROUP,
    SLICE_IPAM_PLURAL,
    SLICE_IPAM_VERSION,
    SliceIpamObject,
    sliceIpamObject,
} from "./sliceipam-object";

export interface KubernetesStoreOptions {
    readonly namespace: string;
    /** Kubeconfig file contents; omitted: KUBECONFIG, ~/.kube/config or the in-cluster service account. */
    readonly kubeconfig?: string;
    readonly context?: string;
    /** Attempts for 5xx, 429 and connection failures before the API server's message is surfaced. */
    readonly transientAttempts?: number;
}

const DEFAULT_TRANSIENT_ATTEMPTS = 5;
/** A read missing more shards than this lists the slice's shards in one request instead of one GET each. */
const LIST_THRESHOLD = 8;
/** Parallel requests per operation: enough to hide latency, few enough not to be throttled. */
const PARALLEL_REQUESTS = 8;
/** Unreferenced shards younger than this may belong to a commit in flight; the sweep leaves them. */
const SWEEP_MIN_AGE_MS = 60 * 60 * 1000;
/** One successful commit in this many also sweeps the slice's orphaned shards. */
const SWEEP_EVERY = 256;
/** Legacy single-object slices are limited by etcd's request size (--max-request-bytes default). */
const LEGACY_LIMIT_BYTES = 1.5 * 1024 * 1024;

// Shards are immutable and never reuse a name, so a shard once read is valid
// for the life of the process. Providers are constructed per call, so the
// cache is process-wide, found through a global symbol; bounded by entries.
const SHARD_CACHE_KEY = Symbol.for("kubeslice-ipam.kubernetes-shard-cache");
const SHARD_CACHE_ENTRIES = 262_144;

function shardCache(): LRUCache<string, readonly Allocation[]> {
    const registry = globalThis as unknown as Record<symbol, LRUCache<string, readonly Allocation[]> | undefined>;
    return (registry[SHARD_CACHE_KEY] ??= new LRUCache<string, readonly Allocation[]>({
        maxSize: SHARD_CACHE_ENTRIES,
        sizeCalculation: (entries) => entries.length + 1,
    }));
}

/** A head as read, with what a compare-and-swap from it needs. */
interface Head {
    readonly object: SliceIpamObject;
    readonly version: string;
    readonly fingerprint: string;
    readonly ledger: SliceLedger;
    /** By shard number; undefined for a legacy (single-object) head. */
    readonly shards: ReadonlyMap<number, { readonly ref: ShardRef; readonly entries: readonly Allocation[] }> | undefined;
    readonly storage: StorageUsage;
}

/** Set by a request that was retried after a transient failure: an earlier attempt may have landed. */
interface WriteOutcome {
    uncertain: boolean;
}

/** A shard vanished while its head was read: the head changed meanwhile. */
const STALE = Symbol("stale");

/**
 * Ledgers as KubeSlice `SliceIpam` objects in one namespace of a cluster,
 * with their entries in immutable `SliceIpamShard` objects.
 *
 * Why sharded: the whole ledger used to live in one object's status, so
 * every change rewrote every entry (cost grew with the ledger) and at ~8,400
 * entries the object reached etcd's 1.5 MiB request limit and every write,
 * releases included, failed. Kubernetes allocates Service IPs as one object
 * per address (KEP-1880) and Calico by address block; here an entry's home
 * is the shard of its subnet index range (128 indexes), which keeps the
 * allocator's whole-ledger compare-and-swap and costs one small object per
 * change.
 *
 * - Head: the `SliceIpam` named like the slice. Its annotations are the
 *   source of truth for everything but the entries: settings and the list of
 *   shard references (`ipam.kubeslice-ipam.io/ledger`: shard number, name,
 *   content digest, entry count) and the counters. `status` is a projection
 *   for KubeSlice and kubectl: exact capacity figures and at most 128 entries
 *   (active first), rewritten after every commit.
 * - Shards: a new content is a new object with a new random name, never
 *   updated, so a process caches every shard it has read (a bounded LRU,
 *   process-wide) and a load reads the head plus only the shards it has not
 *   seen — usually none or the one another writer just made.
 * - Commit: create the changed shards, then replace the head guarded by the
 *   `resourceVersion` that was read — the single compare-and-swap point, so a
 *   change (entries, settings and counters together) is all-or-nothing and
 *   two writers can never both win. Only then is the status projection
 *   written and are the replaced shards deleted. A head write that meets a
 *   409 caused only by a projection write (nothing authoritative changed)
 *   is repeated over the new version; any other 409 is a conflict, and the
 *   loser deletes the shards it created, which no head ever referenced.
 * - Orphans (a process killed between creating shards and committing, or
 *   between committing and deleting) are harmless: readers only follow
 *   references. An occasional sweep deletes unreferenced shards older than an
 *   hour. A reader that finds a referenced shard gone re-reads the head: the
 *   shard was replaced after it read.
 * - Migration: a head without the ledger annotation is in the old form (all
 *   entries in status); it loads as before, and the first write converts it
 *   under the same compare-and-swap. Converting overwrites the old settings
 *   annotation with a non-JSON marker, so versions that read status as the
 *   ledger refuse the slice instead of trusting the bounded projection.
 * - Remaining limit: the shard list in the head's annotations (256 KiB in
 *   all), ~30 bytes a shard: about a million entries. `storage` on every
 *   load reports how much of it a slice uses.
 */
export class KubernetesLedgerStore implements LedgerStore {
    readonly description: string;
    readonly key: string;
    private readonly api: k8s.CustomObjectsApi;
    private readonly client: typeof k8s;
    private readonly namespace: string;
    private readonly transientAttempts: number;
    /** The head last read or written per slice; a swap from that version needs no read. */
    private readonly heads = new LRUCache<string, Head>({ max: 64 });

    constructor(options: KubernetesStoreOptions) {
        // Loaded here, not at module load: the file store never pays for the client.
        this.client = require("@kubernetes/client-node") as typeof k8s;
        // Never the client's own loading: its YAML errors quote the kubeconfig, credentials included.
        const config = loadKubeconfig(this.client, {
            contents: options.kubeconfig,
            name: "store.kubeconfig (the store input's kubeconfig)",
            context: options.context,
        });
        const server = config.getCurrentCluster()?.server ?? "(no cluster in kubeconfig)";
        this.namespace = options.namespace;
        this.description = `Kubernetes store ${server} namespace ${options.namespace}`;
        this.key = `kubernetes:${server}/${options.namespace}`;
        this.api = config.makeApiClient(this.client.CustomObjectsApi);
        this.transientAttempts = options.transientAttempts ?? DEFAULT_TRANSIENT_ATTEMPTS;
    }

    /** The clusters' usage signal: WorkerSliceConfigs of this namespace, read with this store's identity and retries. */
    usageSource(): UsageSource {
        return new WorkerSliceConfigUsage({
            api: this.api,
            namespace: this.namespace,
            description: this.description,
            call: (what, request) => this.call(what, request),
            statusOf: (error) => this.apiError(error)?.code,
        });
    }

    async load(sliceName: string): Promise<VersionedLedger | undefined> {
        const head = await this.loadHead(sliceName);
        return head === undefined ? undefined : versioned(head);
    }

    async list(): Promise<VersionedLedger[]> {
        const listed = (await this.call("list slices", () =>
            this.api.listNamespacedCustomObject({ ...this.resource(), namespace: this.namespace }),
        )) as { items?: SliceIpamObject[] };
        const objects = (listed.items ?? []).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
        const result: VersionedLedger[] = [];
        for (const object of objects) {
            const head = (await this.readHead(object)) ?? (await this.loadHead(object.metadata.name));
            if (head !== undefined) {
                result.push(versioned(head));
            }
        }
        return result;
    }

    async compareAndSwap(sliceName: string, expectedVersion: string | undefined, next: SliceLedger | undefined): Promise<SwapResult> {
        this.nameOf(sliceName);
        if (expectedVersion === undefined) {
            return next === undefined ? { ok: true } : this.create(next);
        }
        let before = this.heads.get(sliceName);
        if (before?.version !== expectedVersion) {
            const object = await this.get(sliceName);
            if (object === undefined || object.metadata.resourceVersion !== expectedVersion) {
                return { ok: false, conflict: true };
            }
            before = await this.readHead(object);
            if (before === undefined) {
                return { ok: false, conflict: true };
            }
        }
        return next === undefined ? this.remove(sliceName, before) : this.swap(sliceName, before, next);
    }

    // ---- reading ------------------------------------------------------------

    private async loadHead(sliceName: string): Promise<Head | undefined> {
        for (let attempt = 0; attempt < 8; attempt++) {
            const object = await this.get(sliceName);
            if (object === undefined) {
                this.heads.delete(sliceName);
                return undefined;
            }
            const head = await this.readHead(object);
            if (head !== undefined) {
                return head;
            }
        }
        throw new Error(`${this.description}: cannot read slice "${sliceName}": its shards kept being replaced while it was read; try again`);
    }

    /** The head and its entries; undefined when a shard was replaced meanwhile (read the head again). */
    private async readHead(object: SliceIpamObject): Promise<Head | undefined> {
        const sliceName = object.metadata.name;
        const form = headForm(object);
        if (form.form === "corrupt") {
            throw this.corrupt(object, form.problems);
        }
        let head: Head;
        if (form.form === "legacy") {
            const decoded = ledgerOf(object);
            if (!decoded.ok) {
                throw this.corrupt(object, decoded.problems);
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
                throw this.corrupt(object, base.problems);
            }
            const entries = await this.shardEntries(object, form.refs, base.ledger.spec);
            if (entries === STALE) {
                return undefined;
            }
            const assembled = assembleLedger(object, form.settings, entries);
            if (!assembled.ok) {
                throw this.corrupt(object, assembled.problems);
            }
            head = {
                object: withoutStatus(object),
                version: object.metadata.resourceVersion!,
                fingerprint: fingerprintOf(object),
                ledger: assembled.ledger,
                shards: new Map(form.refs.map((ref, i) => [ref.shard, { ref, entries: entries[i] }])),
                storage: this.storageOf(object.metadata.annotations),
            };
        }
        this.heads.set(sliceName, head);
        return head;
    }

    private async shardEntries(
        head: SliceIpamObject,
        refs: readonly ShardRef[],
        spec: SliceLedger["spec"],
    ): Promise<(readonly Allocation[])[] | typeof STALE> {
        const cache = shardCache();
        const found = new Map<string, readonly Allocation[]>();
        const missing: ShardRef[] = [];
        for (const ref of refs) {
            const cached = cache.get(this.cacheKey(ref));
            if (cached === undefined) {
                missing.push(ref);
            } else {
                found.set(ref.name, cached);
            }
        }
        if (missing.length > 0) {
            const fetched = new Map<string, SliceIpamShardObject>();
            if (missing.length > LIST_THRESHOLD) {
                for (const shard of await this.listShards(head.metadata.name)) {
                    fetched.set(shard.metadata.name, shard);
                }
            } else {
                await inParallel(missing, async (ref) => {
                    const shard = await this.getShard(ref.name);
                    if (shard !== undefined) {
                        fetched.set(ref.name, shard);
                    }
                });
            }
            for (const ref of missing) {
                const shard = fetched.get(ref.name);
                if (shard === undefined) {
                    // Replaced by a commit since the head was read (not merely a new status projection)?
                    const now = await this.get(head.metadata.name);
                    if (now === undefined || fingerprintOf(now) !== fingerprintOf(head)) {
                        return STALE;
                    }
                    throw this.corrupt(head, [
                        `its shard SliceIpamShard ${this.namespace}/${ref.name} (entries of indexes ${ref.shard * SHARD_SPAN}..${(ref.shard + 1) * SHARD_SPAN - 1}) does not exist`,
                    ]);
                }
                const decoded = decodeShard(shard, ref, spec);
                if (!decoded.ok) {
                    throw new CorruptLedgerError(
                        `SliceIpamShard ${this.namespace}/${ref.name} of slice "${head.metadata.name}" (${this.description})`,
                        decoded.problems,
                    );
                }
                cache.set(this.cacheKey(ref), decoded.ledger.allocations);
                found.set(ref.name, decoded.ledger.allocations);
            }
        }
        return refs.map((ref) => found.get(ref.name)!);
    }

    // ---- writing ------------------------------------------------------------

    private async create(next: SliceLedger): Promise<SwapResult> {
        const sliceName = next.spec.sliceName;
        const refs: ShardRef[] = [];
        const created: { ref: ShardRef; entries: readonly Allocation[] }[] = [];
        for (const [shard, entries] of partition(next.allocations)) {
            const ref = shardRef(sliceName, shard, nonce(), entries);
            refs.push(ref);
            created.push({ ref, entries });
        }
        await this.createShards(sliceName, created);
        const annotations = headAnnotations(next, refs, nonce());
        this.checkBudget(sliceName, annotations);
        const body = sliceIpamObject(next, this.namespace);
        body.metadata.annotations = annotations;
        let committed: SliceIpamObject;
        const outcome: WriteOutcome = { uncertain: false };
        try {
            committed = (await this.call(
                `create slice "${sliceName}"`,
                () => this.api.createNamespacedCustomObject({ ...this.resource(), namespace: this.namespace, body }),
                outcome,
            )) as SliceIpamObject;
        } catch (error) {
            if (this.isCode(error, 409)) {
                // AlreadyExists: someone else registered it, unless a retried request of ours landed first.
                const existing = await this.get(sliceName);
                if (existing === undefined || existing.metadata.annotations?.[ANNOTATION_LEDGER] !== annotations[ANNOTATION_LEDGER]) {
                    if (!outcome.uncertain) {
                        await this.deleteShards(created.map((c) => c.ref));
                    }
                    return { ok: false, conflict: true };
                }
                committed = existing;
            } else {
                if (this.isDefinite(error) && !outcome.uncertain) {
                    await this.deleteShards(created.map((c) => c.ref));
                }
                throw error;
            }
        }
        return this.afterCommit(committed, next, created, []);
    }

    private async swap(sliceName: string, before: Head, next: SliceLedger): Promise<SwapResult> {
        const refs: ShardRef[] = [];
        const created: { ref: ShardRef; entries: readonly Allocation[] }[] = [];
        for (const [shard, entries] of partition(next.allocations)) {
            const old = before.shards?.get(shard);
            if (old !== undefined && sameEntries(old.entries, entries)) {
                refs.push(old.ref);
            } else {
                const ref = shardRef(sliceName, shard, nonce(), entries);
                refs.push(ref);
                created.push({ ref, entries });
            }
        }
        const kept = new Set(refs.map((ref) => ref.name));
        const obsolete = [...(before.shards?.values() ?? [])].map((s) => s.ref).filter((ref) => !kept.has(ref.name));
        await this.createShards(sliceName, created);
        const annotations = { ...before.object.metadata.annotations, ...headAnnotations(next, refs, nonce()) };
        try {
            this.checkBudget(sliceName, annotations);
        } catch (error) {
            await this.deleteShards(created.map((c) => c.ref));
            throw error;
        }
        let committed: SliceIpamObject | "conflict";
        const outcome: WriteOutcome = { uncertain: false };
        try {
            committed = await this.replaceHead(sliceName, before, annotations, outcome);
        } catch (error) {
            // After an unknown outcome (connection lost) a head may reference them: leave them to the sweep.
            if (this.isDefinite(error) && !outcome.uncertain) {
                await this.deleteShards(created.map((c) => c.ref));
            }
            throw error;
        }
        if (committed === "conflict") {
            // A retried request may have landed and been built on since: then a head references them.
            if (!outcome.uncertain) {
                await this.deleteShards(created.map((c) => c.ref));
            }
            return { ok: false, conflict: true };
        }
        return this.afterCommit(committed, next, created, obsolete);
    }

    /**
     * The compare-and-swap: replaces the head only over `before`. A 409 whose
     * cause was a status projection write (the authoritative part is still
     * `before`'s) is retried over the new version; a retried request of our
     * own that had landed is recognised by its annotations.
     */
    private async replaceHead(
        sliceName: string,
        before: Head,
        annotations: Record<string, string>,
        outcome: WriteOutcome,
    ): Promise<SliceIpamObject | "conflict"> {
        const body: SliceIpamObject = {
            apiVersion: before.object.apiVersion,
            kind: before.object.kind,
            metadata: { ...before.object.metadata, annotations, resourceVersion: before.version },
            spec: before.object.spec,
        };
        for (let attempt = 0; attempt < 8; attempt++) {
            try {
                return (await this.call(
                    `update slice "${sliceName}"`,
                    () => this.api.replaceNamespacedCustomObject({ ...this.resource(), namespace: this.namespace, name: sliceName, body }),
                    outcome,
                )) as SliceIpamObject;
            } catch (error) {
                if (!this.isCode(error, 409)) {
                    throw error;
                }
            }
            const current = await this.get(sliceName);
            if (current === undefined) {
                return "conflict";
            }
            const ours =
                current.metadata.annotations?.[ANNOTATION_LEDGER] === annotations[ANNOTATION_LEDGER] &&
                current.metadata.annotations?.[ANNOTATION_COUNTERS] === annotations[ANNOTATION_COUNTERS];
            if (ours) {
                return current;
            }
            if (fingerprintOf(current) !== before.fingerprint) {
                return "conflict";
            }
            body.metadata.resourceVersion = current.metadata.resourceVersion;
        }
        return "conflict";
    }

    /** Committed: remember, write the projection, drop the replaced shards. None of it can undo the commit. */
    private async afterCommit(
        committed: SliceIpamObject,
        next: SliceLedger,
        created: readonly { ref: ShardRef; entries: readonly Allocation[] }[],
        obsolete: readonly ShardRef[],
    ): Promise<SwapResult> {
        const cache = shardCache();
        for (const { ref, entries } of created) {
            cache.set(this.cacheKey(ref), entries);
        }
        const [projected] = await Promise.all([this.writeProjection(committed, next), this.deleteShards(obsolete)]);
        const final = projected ?? committed;
        const form = headForm(final);
        if (form.form === "sharded") {
            // Kept shards hold what `next` has in their range (that is why they were kept).
            const groups = partition(next.allocations);
            this.heads.set(next.spec.sliceName, {
                object: withoutStatus(final),
                version: final.metadata.resourceVersion!,
                fingerprint: fingerprintOf(final),
                ledger: next,
                shards: new Map(form.refs.map((ref) => [ref.shard, { ref, entries: groups.get(ref.shard) ?? [] }])),
                storage: this.storageOf(final.metadata.annotations),
            });
        }
        if (Math.random() * SWEEP_EVERY < 1) {
            await this.sweep(next.spec.sliceName).catch(() => undefined);
        }
        return { ok: true };
    }

    /** Best effort: a lost race means a later commit writes its own projection. */
    private async writeProjection(head: SliceIpamObject, ledger: SliceLedger): Promise<SliceIpamObject | undefined> {
        try {
            return (await this.call(`update status of slice "${head.metadata.name}"`, () =>
                this.api.replaceNamespacedCustomObjectStatus({
                    ...this.resource(),
                    namespace: this.namespace,
                    name: head.metadata.name,
                    body: { ...withoutStatus(head), status: projectedStatus(ledger, new Date()) },
                }),
            )) as SliceIpamObject;
        } catch (error) {
            if (this.isCode(error, 409) || this.isCode(error, 404)) {
                return undefined;
            }
            throw error;
        }
    }

    private async remove(sliceName: string, before: Head): Promise<SwapResult> {
        let version = before.version;
        for (let attempt = 0; attempt < 8; attempt++) {
            try {
                await this.call(`delete slice "${sliceName}"`, () =>
                    this.api.deleteNamespacedCustomObject({
                        ...this.resource(),
                        namespace: this.namespace,
                        name: sliceName,
                        body: { preconditions: { resourceVersion: version } },
                    }),
                );
                this.heads.delete(sliceName);
                await this.deleteShards([...(before.shards?.values() ?? [])].map((s) => s.ref));
                return { ok: true };
            } catch (error) {
                if (this.isCode(error, 404)) {
                    return { ok: false, conflict: true };
                }
                if (!this.isCode(error, 409)) {
                    throw error;
                }
            }
            // As in replaceHead: a projection write in between is no conflict.
            const current = await this.get(sliceName);
            if (current === undefined || fingerprintOf(current) !== before.fingerprint) {
                return { ok: false, conflict: true };
            }
            version = current.metadata.resourceVersion!;
        }
        return { ok: false, conflict: true };
    }

    private async createShards(sliceName: string, shards: readonly { ref: ShardRef; entries: readonly Allocation[] }[]): Promise<void> {
        const done: ShardRef[] = [];
        try {
            await inParallel(shards, async ({ ref, entries }) => {
                const body = shardObject(this.namespace, sliceName, ref, entries);
                try {
                    await this.call(`create shard ${ref.name} of slice "${sliceName}"`, () =>
                        this.api.createNamespacedCustomObject({ ...this.shardResource(), namespace: this.namespace, body }),
                    );
                } catch (error) {
                    // AlreadyExists: a retried request of ours that had landed (names carry a random nonce).
                    const existing = this.isCode(error, 409) ? await this.getShard(ref.name) : undefined;
                    if (existing === undefined || digestOf(existing.spec.allocations as Allocation[]) !== ref.digest) {
                        throw this.isCode(error, 404) ? this.missingShardType(error) : error;
                    }
                }
                done.push(ref);
            });
        } catch (error) {
            await this.deleteShards(done);
            throw error;
        }
    }

    private async deleteShards(refs: readonly ShardRef[]): Promise<void> {
        await inParallel(refs, async (ref) => {
            try {
                await this.call(`delete shard ${ref.name}`, () =>
                    this.api.deleteNamespacedCustomObject({ ...this.shardResource(), namespace: this.namespace, name: ref.name }),
                );
            } catch {
                // Unreferenced either way: the sweep retries later.
            }
        });
    }

    /** Deletes the slice's shards that no head references and that are too old to belong to a commit in flight. */
    private async sweep(sliceName: string): Promise<void> {
        const shards = await this.listShards(sliceName);
        const head = await this.get(sliceName);
        const form = head === undefined ? undefined : headForm(head);
        const referenced = new Set(form?.form === "sharded" ? form.refs.map((ref) => ref.name) : []);
        if (form?.form === "corrupt") {
            return;
        }
        const cutoff = Date.now() - SWEEP_MIN_AGE_MS;
        const orphans = shards.filter((shard) => !referenced.has(shard.metadata.name) && Date.parse(shard.metadata.creationTimestamp ?? "") < cutoff);
        await inParallel(orphans, async (shard) => {
            await this.call(`delete shard ${shard.metadata.name}`, () =>
                this.api.deleteNamespacedCustomObject({ ...this.shardResource(), namespace: this.namespace, name: shard.metadata.name }),
            ).catch(() => undefined);
        });
    }

    // ---- requests -----------------------------------------------------------

    private get(sliceName: string): Promise<SliceIpamObject | undefined> {
        return this.getObject(`read slice "${sliceName}"`, this.resource(), this.nameOf(sliceName));
    }

    private getShard(name: string): Promise<SliceIpamShardObject | undefined> {
        return this.getObject(`read shard ${name}`, this.shardResource(), name);
    }

    /** One object, or undefined when it does not exist. */
    private async getObject<T>(what: string, resource: { group: string; version: string; plural: string }, name: string): Promise<T | undefined> {
        try {
            return (await this.call(what, () => this.api.getNamespacedCustomObject({ ...resource, namespace: this.namespace, name }))) as T;
        } catch (error) {
            if (this.isCode(error, 404)) {
                return undefined;
            }
            throw error;
        }
    }

    private async listShards(sliceName: string): Promise<SliceIpamShardObject[]> {
        try {
            const listed = (await this.call(`list shards of slice "${sliceName}"`, () =>
                this.api.listNamespacedCustomObject({
                    ...this.shardResource(),
                    namespace: this.namespace,
                    labelSelector: `${LABEL_SLICE}=${sliceName}`,
                }),
            )) as { items?: SliceIpamShardObject[] };
            return listed.items ?? [];
        } catch (error) {
            throw this.isCode(error, 404) ? this.missingShardType(error) : error;
        }
    }

    // ---- helpers ------------------------------------------------------------

    private storageOf(annotations: Record<string, string> | undefined): StorageUsage {
        return { usedBytes: annotationBytes(annotations), limitBytes: ANNOTATIONS_LIMIT_BYTES, limit: "SliceIpam annotations (256 KiB)" };
    }

    private checkBudget(sliceName: string, annotations: Record<string, string>): void {
        const used = annotationBytes(annotations);
        if (used > ANNOTATIONS_LIMIT_BYTES) {
            throw new Error(
                `${this.description}: cannot update slice "${sliceName}": its shard list needs ${used} bytes of annotations, ` +
                    `over the API server's ${ANNOTATIONS_LIMIT_BYTES}; nothing was written. Lower gracePeriodSeconds so that ` +
                    `Released entries are reclaimed sooner, or move clusters to a new slice.`,
            );
        }
    }

    private cacheKey(ref: ShardRef): string {
        return `${this.key}\u0000${ref.name}\u0000${ref.digest}`;
    }

    private corrupt(object: SliceIpamObject, problems: readonly string[]): CorruptLedgerError {
        return new CorruptLedgerError(`SliceIpam ${this.namespace}/${object.metadata?.name} (${this.description})`, problems);
    }

    /** A 404 for the shard collection: the CRD is not installed (or, on a real cluster, the namespace is missing). */
    private missingShardType(cause: unknown): Error {
        const api = this.apiError(cause);
        const message = api === undefined ? String(cause) : apiMessage(api);
        const error = new Error(
            /namespaces? "/.test(message)
                ? `${this.description}: cannot write shards: ${message}; create the namespace first`
                : `${this.description} has no SliceIpamShard resource type (sliceipamshards.${SHARD_GROUP}): install ` +
                      `deploy/kubernetes/sliceipam-crd.yaml, which holds both CRDs the store needs`,
        );
        (error as Error & { cause?: unknown }).cause = cause;
        return error;
    }

    private nameOf(sliceName: string): string {
        return storableSliceName(sliceName);
    }

    private resource() {
        return { group: SLICE_IPAM_GROUP, version: SLICE_IPAM_VERSION, plural: SLICE_IPAM_PLURAL };
    }

    private shardResource() {
        return { group: SHARD_GROUP, version: SHARD_VERSION, plural: SHARD_PLURAL };
    }

    private isCode(error: unknown, code: number): boolean {
        return this.apiError(error)?.code === code;
    }

    /** The ApiException, also when wrapped by explain(). */
    private apiError(error: unknown): k8s.ApiException<unknown> | undefined {
        if (error instanceof this.client.ApiException) {
            return error;
        }
        const cause = (error as { cause?: unknown })?.cause;
        return cause instanceof this.client.ApiException ? cause : undefined;
    }

    /** The server answered and refused: nothing was written. */
    private isDefinite(error: unknown): boolean {
        const code = this.apiError(error)?.code;
        return code !== undefined && code >= 400 && code < 500 ? true : this.isTooLarge(error);
    }

    private isTooLarge(error: unknown): boolean {
        const api = this.apiError(error);
        return api !== undefined && (api.code === 413 || /request is too large|request entity too large/i.test(apiMessage(api)));
    }

    /**
     * Runs one API call, retrying server errors, throttling and connection
     * failures a bounded number of times; then the API server's own message is
     * surfaced. Client errors (404, 409, 422, 403, 413) and "request is too
     * large" return at once: repeating them cannot succeed.
     */
    private async call<T>(what: string, request: () => Promise<T>, outcome?: WriteOutcome): Promise<T> {
        for (let attempt = 1; ; attempt++) {
            try {
                return await request();
            } catch (error) {
                const transient = this.isTransient(error);
                if (!transient || attempt >= this.transientAttempts) {
                    throw this.explain(what, error, transient ? attempt : undefined);
                }
                if (outcome !== undefined) {
                    outcome.uncertain = true;
                }
                await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2_000, 100 * 2 ** attempt)));
            }
        }
    }

    private isTransient(error: unknown): boolean {
        if (error instanceof this.client.ApiException) {
            return (error.code >= 500 || error.code === 429) && !this.isTooLarge(error);
        }
        const code = (error as { code?: string; cause?: { code?: string } })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
        return ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET"].includes(String(code));
    }

    private explain(what: string, error: unknown, attempts: number | undefined): Error {
        if (error instanceof this.client.ApiException && [404, 409].includes(error.code)) {
            return error; // expected codes, interpreted by the caller
        }
        const message = error instanceof this.client.ApiException ? apiMessage(error) : ((error as Error)?.message ?? String(error));
        const retried = attempts === undefined ? "" : ` (after ${attempts} attempts)`;
        const wrapped = new Error(`${this.description}: cannot ${what}${retried}: ${message}${this.hint(error)}`);
        (wrapped as Error & { cause?: unknown }).cause = error;
        return wrapped;
    }

    private hint(error: unknown): string {
        if (!(error instanceof this.client.ApiException)) {
            return "";
        }
        if (this.isTooLarge(error)) {
            return (
                "; not retried: the object is over the API server's request size limit (etcd --max-request-bytes, " +
                "1.5 MiB by default). Sharded slices stay far below it, so this is a SliceIpam in the single-object " +
                "form of kubeslice-ipam 0.1 that is already full; nothing was written. See README, Troubleshooting"
            );
        }
        if (error.code === 403) {
            return "; grant the store's identity the kubeslice-ipam-store role (deploy/kubernetes/rbac.yaml)";
        }
        if (error.code === 422) {
            return (
                "; not retried: the API server refused the object as invalid. Install this version's CRDs " +
                "(deploy/kubernetes/sliceipam-crd.yaml) and check the object with kubectl"
            );
        }
        return "";
    }
}

function versioned(head: Head): VersionedLedger {
    return { ledger: head.ledger, version: head.version, storage: head.storage };
}

function withoutStatus(object: SliceIpamObject): SliceIpamObject {
    const { status: _status, ...rest } = object;
    return rest;
}

function nonce(): string {
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

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const errors: unknown[] = [];
    const worker = async () => {
        while (next < items.length) {
            const item = items[next++];
            try {
                await work(item);
            } catch (error) {
                errors.push(error);
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, items.length) }, worker));
    if (errors.length > 0) {
        throw errors[0];
    }
}

function apiMessage(error: k8s.ApiException<unknown>): string {
    const body = error.body as { message?: string } | string | undefined;
    if (typeof body === "string") {
        try {
            return (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
            return body;
        }
    }
    return body?.message ?? `HTTP ${error.code}`;
}
