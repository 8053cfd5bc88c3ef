import { randomBytes } from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import { LRUCache } from "lru-cache";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { Allocation, SliceLedger } from "../core/ledger";
import { connect } from "./kubernetes-connection";
import { processWide } from "./process-wide";
import { CorruptLedgerError } from "./ledger-document";
import { everyLedger, LedgerStore, ListedSlice, readEach, StorageUsage, storableSliceName, SwapResult, VersionedLedger } from "./ledger-store";
import {
    ANNOTATION_BASED_ON,
    ANNOTATION_LEDGER,
    commitBasis,
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
    UNREGISTERED,
} from "./sliceipam-shard";
import { UsageSource, WorkerSliceConfigUsage } from "./worker-slice-usage";
import { apiMessage, KubernetesRequests, transientRetryFrom, WriteOutcome } from "./kubernetes-requests";
import { queuedChanges } from "./update-ledger";
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
    /**
     * At most this many attempts for 5xx, 429, connection failures and
     * unserved 404s; by default they are bounded by time alone (docs/stores.md).
     */
    readonly transientAttempts?: number;
}

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

/** How old a head seen by this process may be and still answer a plan (a preview, a `check`). */
export const PLAN_VIEW_MS = 1_000;

// The head each slice had when this process last read or wrote it, and when
// (see "Head view" in the class comment). Process-wide like the shard cache.
export const VIEW_ENTRIES = 256;

interface Seen {
    /** undefined: the server said the slice does not exist (a NotFound naming it). */
    readonly head: Head | undefined;
    readonly at: number;
}

const headView = () => processWide("kubeslice-ipam.kubernetes-head-view", () => new LRUCache<string, Seen>({ max: VIEW_ENTRIES }));

// Commits within a burst leave the status projection and the deletion of the
// shards they replaced to the burst's last commit (or to afterBurst); what is
// owed, per slice, process-wide.
interface Owed {
    readonly committed: SliceIpamObject;
    readonly ledger: SliceLedger;
    readonly obsolete: readonly string[];
}

const owedWork = () => processWide("kubeslice-ipam.kubernetes-owed-projections", () => new Map<string, Owed>());

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

/** A shard this commit writes, not yet referenced by any head. */
interface NewShard {
    readonly ref: ShardRef;
    readonly entries: readonly Allocation[];
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
 *   written and are the replaced shards deleted — by the last commit of a
 *   burst: while more changes to the slice are queued in this process (the
 *   group commit, update-ledger.ts), a commit leaves both to the next one,
 *   and the queue's afterBurst does them once the burst's callers are
 *   settled if no later commit did. So a burst of commits costs one status
 *   write; a process that dies mid-burst leaves the projection one burst
 *   behind (the next commit rewrites it) and its replaced shards to the
 *   sweep (they record a basis that is no longer the head). A head write that meets a
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
 * - Head view (process-wide, at most VIEW_ENTRIES slices): the head this
 *   process last read or wrote, with when. Where a stale answer is harmless
 *   and nowhere else:
 *   - Plans (`loadToPlan`: a preview's plan of the component, `check` of a
 *     requested subnet) use it while it is at most PLAN_VIEW_MS (1 s) old,
 *     else read the head. So a plan may miss another process's change of the
 *     last second: a planned subnet taken meanwhile makes create fall back to
 *     first-fit (and warn), a pin taken meanwhile is refused by create, a pin
 *     freed within that second is refused by check until the next run. This
 *     process's own commits update the view, so its own plans never lag them.
 *   - Writes (`loadToWrite`) use it, of any age, only as the basis of the
 *     compare-and-swap: a stale basis is a lost race (409, counted in
 *     `conflicts`) and the change is made again over a fresh read. A change
 *     that would write nothing from the view (an allocation the view says
 *     exists, a release of an entry it says is released) is applied again to
 *     a fresh read before anyone is answered: nothing is ever acknowledged
 *     from the view without a commit.
 *   - Reads (`load`: refresh, the CLI, `list`) always read the server. A
 *     slice is remembered absent only after a NotFound naming it.
 * - Remaining limit: the shard list in the head's annotations (256 KiB in
 *   all), ~30 bytes a shard: about a million entries. `storage` on every
 *   load reports how much of it a slice uses.
 */
export class KubernetesLedgerStore implements LedgerStore {
    readonly description: string;
    readonly key: string;
    readonly writer: string;
    private readonly api: k8s.CustomObjectsApi;
    private readonly client: typeof k8s;
    private readonly namespace: string;
    private readonly requests: KubernetesRequests;

    constructor(options: KubernetesStoreOptions) {
        // Loaded here, not at module load: the file store never pays for the client.
        this.client = require("@kubernetes/client-node") as typeof k8s;
        // Never the client's own loading: its YAML errors quote the kubeconfig, credentials included.
        // Process-wide: one parsed kubeconfig and keep-alive connections for every call (kubernetes-connection.ts).
        const { config, api, identity } = connect(this.client, {
            contents: options.kubeconfig,
            name: "store.kubeconfig (the store input's kubeconfig)",
            context: options.context,
        });
        const server = config.getCurrentCluster()?.server ?? "(no cluster in kubeconfig)";
        this.namespace = options.namespace;
        this.description = `Kubernetes store ${server} namespace ${options.namespace}`;
        this.key = `kubernetes:${server}/${options.namespace}`;
        this.writer = identity;
        this.api = api;
        this.requests = new KubernetesRequests(this.client, this.description, transientRetryFrom(process.env, options.transientAttempts));
    }

    /** The clusters' usage signal: WorkerSliceConfigs of this namespace, read with this store's identity and retries. */
    usageSource(): UsageSource {
        return new WorkerSliceConfigUsage({
            api: this.api,
            namespace: this.namespace,
            description: this.description,
            requests: this.requests,
        });
    }

    async load(sliceName: string): Promise<VersionedLedger | undefined> {
        const head = await this.loadHead(sliceName);
        return head === undefined ? undefined : versioned(head);
    }

    /** The head this process saw at most PLAN_VIEW_MS ago, else read now: for plans only (class comment, "Head view"). */
    async loadToPlan(sliceName: string): Promise<VersionedLedger | undefined> {
        const seen = this.seen(sliceName);
        if (seen !== undefined && Date.now() - seen.at <= PLAN_VIEW_MS) {
            return seen.head === undefined ? undefined : versioned(seen.head);
        }
        return this.load(sliceName);
    }

    /** The head this process last read or wrote, of any age: a basis for compareAndSwap only, which refuses it if stale. */
    async loadToWrite(sliceName: string): Promise<VersionedLedger | undefined> {
        this.nameOf(sliceName);
        const head = this.seen(sliceName)?.head;
        return head === undefined ? undefined : versioned(head);
    }

    /** A burst of commits is over: write the status projection and delete the shards its commits replaced. */
    async afterBurst(sliceName: string): Promise<void> {
        const key = this.viewKey(sliceName);
        const owed = owedWork().get(key);
        if (owed === undefined) {
            return;
        }
        owedWork().delete(key);
        await this.finishCommit(owed);
    }

    async list(): Promise<VersionedLedger[]> {
        return everyLedger(await this.listEach());
    }

    async listEach(): Promise<ListedSlice[]> {
        let listed: { items?: unknown[] };
        try {
            listed = (await this.requests.call("list slices", () =>
                this.api.listNamespacedCustomObject({ ...this.resource(), namespace: this.namespace }),
            )) as { items?: unknown[] };
        } catch (error) {
            throw this.requests.isCode(error, 404) ? this.unserved("list slices", this.resource(), error) : error;
        }
        const objects = new Map<string, SliceIpamObject>();
        for (const item of listed.items ?? []) {
            const name = (item as Partial<SliceIpamObject> | null)?.metadata?.name;
            if (typeof name === "string") {
                objects.set(name, item as SliceIpamObject);
            }
        }
        // One slice at a time: each may read many shards, in parallel already.
        const results: ListedSlice[] = [];
        for (const name of [...objects.keys()].sort()) {
            results.push(
                ...(await readEach([name], async () => {
                    const head = (await this.readHead(objects.get(name)!)) ?? (await this.loadHead(name));
                    return head === undefined ? undefined : versioned(head);
                })),
            );
        }
        return results;
    }

    async compareAndSwap(sliceName: string, expectedVersion: string | undefined, next: SliceLedger | undefined): Promise<SwapResult> {
        this.nameOf(sliceName);
        if (expectedVersion === undefined) {
            return next === undefined ? { ok: true } : this.create(next);
        }
        // The view is only a basis: the head write below is guarded by `expectedVersion` all the same.
        let before = this.seen(sliceName)?.head;
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
                this.remember(sliceName, undefined);
                return undefined;
            }
            const head = await this.readHead(object);
            if (head !== undefined) {
                return head;
            }
        }
        throw new KubesliceIpamError(
            "ledger-changed-while-read",
            `${this.description}: cannot read slice "${sliceName}": its shards kept being replaced while it was read; try again`,
        );
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
        this.remember(sliceName, head);
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
                for (const shard of (await this.listShards(head.metadata.name)).items) {
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
        const created: NewShard[] = [];
        for (const [shard, entries] of partition(next.allocations)) {
            const ref = shardRef(sliceName, shard, nonce(), entries);
            refs.push(ref);
            created.push({ ref, entries });
        }
        await this.createShards(sliceName, created, UNREGISTERED);
        const annotations = headAnnotations(next, refs, nonce());
        this.checkBudget(sliceName, annotations);
        const body = sliceIpamObject(next, this.namespace);
        body.metadata.annotations = annotations;
        let committed: SliceIpamObject;
        const outcome: WriteOutcome = { uncertain: false };
        try {
            committed = (await this.requests.call(
                `create slice "${sliceName}"`,
                () => this.api.createNamespacedCustomObject({ ...this.resource(), namespace: this.namespace, body }),
                outcome,
            )) as SliceIpamObject;
        } catch (error) {
            if (this.requests.isCode(error, 409)) {
                // AlreadyExists: someone else registered it, unless a retried request of ours landed first.
                const existing = await this.get(sliceName);
                if (existing === undefined || existing.metadata.annotations?.[ANNOTATION_LEDGER] !== annotations[ANNOTATION_LEDGER]) {
                    if (!outcome.uncertain) {
                        await this.discard(created);
                    }
                    return { ok: false, conflict: true };
                }
                committed = existing;
            } else {
                if (this.requests.isDefinite(error) && !outcome.uncertain) {
                    await this.discard(created);
                }
                throw error;
            }
        }
        return this.afterCommit(committed, next, created, []);
    }

    private async swap(sliceName: string, before: Head, next: SliceLedger): Promise<SwapResult> {
        const refs: ShardRef[] = [];
        const created: NewShard[] = [];
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
        await this.createShards(sliceName, created, commitBasis(before.object));
        const annotations = { ...before.object.metadata.annotations, ...headAnnotations(next, refs, nonce()) };
        try {
            this.checkBudget(sliceName, annotations);
        } catch (error) {
            await this.discard(created);
            throw error;
        }
        let committed: SliceIpamObject | "conflict";
        const outcome: WriteOutcome = { uncertain: false };
        try {
            committed = await this.replaceHead(sliceName, before, annotations, outcome);
        } catch (error) {
            // After an unknown outcome (connection lost) a head may reference them: leave them to the sweep.
            if (this.requests.isDefinite(error) && !outcome.uncertain) {
                await this.discard(created);
            }
            throw error;
        }
        if (committed === "conflict") {
            // A retried request may have landed and been built on since: then a head references them.
            if (!outcome.uncertain) {
                await this.discard(created);
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
                return (await this.requests.call(
                    `update slice "${sliceName}"`,
                    () => this.api.replaceNamespacedCustomObject({ ...this.resource(), namespace: this.namespace, name: sliceName, body }),
                    outcome,
                )) as SliceIpamObject;
            } catch (error) {
                if (this.requests.isNotFound(error, SLICE_IPAM_PLURAL, sliceName)) {
                    return "conflict"; // unregistered meanwhile
                }
                if (!this.requests.isCode(error, 409)) {
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

    /**
     * Committed: remember, write the projection, drop the replaced shards.
     * None of it can undo the commit. While more changes to the slice are
     * queued in this process, the projection and the deletions are left to
     * the commit that follows (or to afterBurst): one projection write per
     * burst instead of one per commit, off the path of every caller but the last.
     */
    private async afterCommit(
        committed: SliceIpamObject,
        next: SliceLedger,
        created: readonly NewShard[],
        obsolete: readonly ShardRef[],
    ): Promise<SwapResult> {
        const cache = shardCache();
        for (const { ref, entries } of created) {
            cache.set(this.cacheKey(ref), entries);
        }
        const sliceName = next.spec.sliceName;
        const key = this.viewKey(sliceName);
        const owed: Owed = {
            committed,
            ledger: next,
            obsolete: [...(owedWork().get(key)?.obsolete ?? []), ...obsolete.map((ref) => ref.name)],
        };
        owedWork().delete(key);
        this.rememberCommitted(committed, next);
        if (queuedChanges(this, sliceName) > 0) {
            owedWork().set(key, owed);
        } else {
            await this.finishCommit(owed);
        }
        if (Math.random() * SWEEP_EVERY < 1) {
            await this.sweep(sliceName).catch(() => undefined);
        }
        return { ok: true };
    }

    /** The status projection of the latest commit and the deletion of the shards commits replaced, in parallel. */
    private async finishCommit(owed: Owed): Promise<void> {
        const [projected] = await Promise.all([this.writeProjection(owed.committed, owed.ledger), this.deleteShards(owed.obsolete)]);
        // The projection's new version is the one to build on, unless a newer commit is known meanwhile.
        if (projected !== undefined && this.seen(owed.ledger.spec.sliceName)?.head?.version === owed.committed.metadata.resourceVersion) {
            this.rememberCommitted(projected, owed.ledger);
        }
    }

    private rememberCommitted(final: SliceIpamObject, next: SliceLedger): void {
        const form = headForm(final);
        if (form.form === "sharded") {
            // Kept shards hold what `next` has in their range (that is why they were kept).
            const groups = partition(next.allocations);
            this.remember(next.spec.sliceName, {
                object: withoutStatus(final),
                version: final.metadata.resourceVersion!,
                fingerprint: fingerprintOf(final),
                ledger: next,
                shards: new Map(form.refs.map((ref) => [ref.shard, { ref, entries: groups.get(ref.shard) ?? [] }])),
                storage: this.storageOf(final.metadata.annotations),
            });
        }
    }

    /** Best effort: a lost race means a later commit writes its own projection. */
    private async writeProjection(head: SliceIpamObject, ledger: SliceLedger): Promise<SliceIpamObject | undefined> {
        try {
            return (await this.requests.call(`update status of slice "${head.metadata.name}"`, () =>
                this.api.replaceNamespacedCustomObjectStatus({
                    ...this.resource(),
                    namespace: this.namespace,
                    name: head.metadata.name,
                    body: { ...withoutStatus(head), status: projectedStatus(ledger, new Date()) },
                }),
            )) as SliceIpamObject;
        } catch (error) {
            if (this.requests.isCode(error, 409) || this.requests.isCode(error, 404)) {
                return undefined;
            }
            throw error;
        }
    }

    private async remove(sliceName: string, before: Head): Promise<SwapResult> {
        let version = before.version;
        for (let attempt = 0; attempt < 8; attempt++) {
            try {
                await this.requests.call(`delete slice "${sliceName}"`, () =>
                    this.api.deleteNamespacedCustomObject({
                        ...this.resource(),
                        namespace: this.namespace,
                        name: sliceName,
                        body: { preconditions: { resourceVersion: version } },
                    }),
                );
                this.remember(sliceName, undefined);
                await this.deleteShards([...(before.shards?.values() ?? [])].map((s) => s.ref.name));
                return { ok: true };
            } catch (error) {
                if (this.requests.isNotFound(error, SLICE_IPAM_PLURAL, sliceName)) {
                    return { ok: false, conflict: true };
                }
                if (!this.requests.isCode(error, 409)) {
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

    /** `basis`: the head this commit read ({@link commitBasis}), recorded on each shard for the sweep. */
    private async createShards(sliceName: string, shards: readonly NewShard[], basis: string): Promise<void> {
        const done: ShardRef[] = [];
        try {
            await inParallel(shards, async ({ ref, entries }) => {
                const body = shardObject(this.namespace, sliceName, ref, entries, basis);
                try {
                    await this.requests.call(`create shard ${ref.name} of slice "${sliceName}"`, () =>
                        this.api.createNamespacedCustomObject({ ...this.shardResource(), namespace: this.namespace, body }),
                    );
                } catch (error) {
                    // AlreadyExists: a retried request of ours that had landed (names carry a random nonce).
                    const existing = this.requests.isCode(error, 409) ? await this.getShard(ref.name) : undefined;
                    if (existing === undefined || digestOf(existing.spec.allocations as Allocation[]) !== ref.digest) {
                        throw this.requests.isCode(error, 404) ? this.missingShardType(error) : error;
                    }
                }
                done.push(ref);
            });
        } catch (error) {
            await this.deleteShards(done.map((ref) => ref.name));
            throw error;
        }
    }

    /** Best effort: an undeleted shard is unreferenced either way, and a later sweep deletes it. */
    private async deleteShards(names: readonly string[]): Promise<void> {
        await inParallel(names, async (name) => {
            await this.requests
                .call(`delete shard ${name}`, () =>
                    this.api.deleteNamespacedCustomObject({ ...this.shardResource(), namespace: this.namespace, name }),
                )
                .catch(() => undefined);
        });
    }

    /** Shards this commit created and no head references: its write was refused or lost the race. */
    private discard(created: readonly NewShard[]): Promise<void> {
        return this.deleteShards(created.map(({ ref }) => ref.name));
    }

    /**
     * Deletes the slice's shards that no head references and that no commit
     * can reference any more. A shard records the head its writer read
     * (`commitBasis`); that writer's commit succeeds only while the head is
     * still the same commit, and every commit has a new nonce, so once the
     * head is another commit the shard is an orphan for good — whatever any
     * clock says. Shards of older versions, which record nothing, and those
     * of a registration (which would commit if the slice were removed and its
     * create went through) are judged by age on the API server's own clock
     * (its Date header), never ours.
     * Runs after one commit in SWEEP_EVERY; public for operators and tests.
     */
    async sweep(sliceName: string): Promise<number> {
        const { items: shards, serverTime } = await this.listShards(sliceName);
        const head = await this.get(sliceName);
        if (head === undefined) {
            return 0; // a registration in flight may still commit its shards
        }
        const form = headForm(head);
        if (form.form === "corrupt") {
            return 0;
        }
        const referenced = new Set(form.form === "sharded" ? form.refs.map((ref) => ref.name) : []);
        const current = commitBasis(head);
        const orphaned = (shard: SliceIpamShardObject): boolean => {
            const basis = shard.metadata.annotations?.[ANNOTATION_BASED_ON];
            // A registration's shards (a copied ledger) could still commit if this head were deleted first: by age only.
            if (basis !== undefined && basis !== UNREGISTERED) {
                return basis !== current;
            }
            const created = Date.parse(shard.metadata.creationTimestamp ?? "");
            return serverTime !== undefined && created < serverTime - SWEEP_MIN_AGE_MS;
        };
        const orphans = shards.filter((shard) => !referenced.has(shard.metadata.name) && orphaned(shard));
        await this.deleteShards(orphans.map((shard) => shard.metadata.name));
        return orphans.length;
    }

    // ---- requests -----------------------------------------------------------

    private get(sliceName: string): Promise<SliceIpamObject | undefined> {
        return this.getObject(`read slice "${sliceName}"`, this.resource(), this.nameOf(sliceName));
    }

    private getShard(name: string): Promise<SliceIpamShardObject | undefined> {
        return this.getObject(`read shard ${name}`, this.shardResource(), name);
    }

    /**
     * One object, or undefined when the server says this object does not
     * exist. Only a NotFound `Status` naming it says so: a starting server's
     * plain 404 is retried and then reported, never read as "absent" (a
     * release would otherwise see no slice and acknowledge nothing written).
     */
    private async getObject<T>(what: string, resource: { group: string; version: string; plural: string }, name: string): Promise<T | undefined> {
        try {
            return (await this.requests.call(what, () => this.api.getNamespacedCustomObject({ ...resource, namespace: this.namespace, name }))) as T;
        } catch (error) {
            if (this.requests.isNotFound(error, resource.plural, name)) {
                return undefined;
            }
            throw this.requests.isCode(error, 404) ? this.unserved(what, resource, error) : error;
        }
    }

    /** A 404 that does not name the object: its resource type is not served, for longer than a server takes to start. */
    private unserved(what: string, resource: { group: string; plural: string }, cause: unknown): Error {
        return this.requests.failure(
            "resource-type-not-served",
            what,
            `the API server kept answering 404 without saying that the object is missing, so the ${resource.plural}.${resource.group} ` +
                `resource type is not served there: install deploy/kubernetes/sliceipam-crd.yaml, or wait for the API server to ` +
                `finish starting and try again; nothing was written`,
            cause,
        );
    }

    /** The slice's shards, and the API server's time of the answer (undefined when it sent no Date header). */
    private async listShards(sliceName: string): Promise<{ items: SliceIpamShardObject[]; serverTime: number | undefined }> {
        try {
            const listed = await this.requests.call(`list shards of slice "${sliceName}"`, () =>
                this.api.listNamespacedCustomObjectWithHttpInfo({
                    ...this.shardResource(),
                    namespace: this.namespace,
                    labelSelector: `${LABEL_SLICE}=${sliceName}`,
                }),
            );
            const date = Date.parse(listed.headers?.date ?? "");
            return { items: (listed.data as { items?: SliceIpamShardObject[] }).items ?? [], serverTime: Number.isNaN(date) ? undefined : date };
        } catch (error) {
            throw this.requests.isCode(error, 404) ? this.missingShardType(error) : error;
        }
    }

    // ---- helpers ------------------------------------------------------------

    private viewKey(sliceName: string): string {
        return `${this.key}\u0000${sliceName}`;
    }

    private seen(sliceName: string): Seen | undefined {
        return headView().get(this.viewKey(sliceName));
    }

    private remember(sliceName: string, head: Head | undefined): void {
        headView().set(this.viewKey(sliceName), { head, at: Date.now() });
    }

    private storageOf(annotations: Record<string, string> | undefined): StorageUsage {
        return { usedBytes: annotationBytes(annotations), limitBytes: ANNOTATIONS_LIMIT_BYTES, limit: "SliceIpam annotations (256 KiB)" };
    }

    private checkBudget(sliceName: string, annotations: Record<string, string>): void {
        const used = annotationBytes(annotations);
        if (used > ANNOTATIONS_LIMIT_BYTES) {
            throw new KubesliceIpamError(
                "ledger-too-large",
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
        const api = this.requests.apiError(cause);
        const message = api === undefined ? String(cause) : apiMessage(api);
        const namespaceMissing = /namespaces? "/.test(message);
        return new KubesliceIpamError(
            namespaceMissing ? "namespace-not-found" : "resource-type-not-served",
            namespaceMissing
                ? `${this.description}: cannot write shards: ${message}; create the namespace first`
                : `${this.description} has no SliceIpamShard resource type (sliceipamshards.${SHARD_GROUP}): install ` +
                      `deploy/kubernetes/sliceipam-crd.yaml, which holds both CRDs the store needs`,
            { cause },
        );
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
