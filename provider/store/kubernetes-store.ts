import { hostname } from "node:os";
import { HistoryEvent } from "../core/history";
import { SliceLedger } from "../core/ledger";
import { inParallel } from "./in-parallel";
import { KubernetesApi } from "./kubernetes-api";
import { kubernetesClient } from "./kubernetes-client";
import { EVENTS, kubernetesEvents } from "./kubernetes-events";
import { Commits } from "./kubernetes-commit";
import { connect } from "./kubernetes-connection";
import { HeadView, versioned } from "./kubernetes-head-view";
import { HeadReader } from "./kubernetes-heads";
import { LedgerObjects } from "./kubernetes-ledger-objects";
import { transientRetryFrom } from "./kubernetes-requests";
import { ShardCache } from "./kubernetes-shard-cache";
import { sweepOrphans } from "./kubernetes-sweep";
import { everyLedger, LedgerStore, ListedSlice, readEach, storableSliceName, SwapResult, VersionedLedger } from "./ledger-store";
import { SliceIpamObject } from "./sliceipam-object";
import { UsageSource, WorkerSliceConfigUsage } from "./worker-slice-usage";

export interface KubernetesStoreOptions {
    readonly namespace: string;
    /** Kubeconfig file contents; omitted: KUBECONFIG, ~/.kube/config or the in-cluster service account. */
    readonly kubeconfig?: string;
    /** How messages name `kubeconfig`; default: the store input's kubeconfig. */
    readonly kubeconfigName?: string;
    readonly context?: string;
    /**
     * At most this many attempts for 5xx, 429, connection failures and
     * unserved 404s; by default they are bounded by time alone (docs/stores.md).
     */
    readonly transientAttempts?: number;
}

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
 *   (active first), rewritten after every burst of commits.
 * - Shards: a new content is a new object with a new random name, never
 *   updated, so a process caches every shard it has read (a bounded LRU,
 *   process-wide: kubernetes-shard-cache.ts) and a load reads the head plus
 *   only the shards it has not seen (kubernetes-heads.ts).
 * - Recent entries (sliceipam-recent.ts): entries that differ from the
 *   shards' ride in the head's ledger annotation, up to RECENT_LIMIT; most
 *   commits write the head alone.
 * - Commit (kubernetes-commit.ts): when the head would hold more recent
 *   entries, create the changed shards first; then replace the head guarded
 *   by the `resourceVersion` that was read — the single compare-and-swap
 *   point, so a change is all-or-nothing and two writers can never both win;
 *   then, once per burst, the status projection and the deletion of the
 *   replaced shards. A loser deletes the shards it created.
 * - Orphans (a process killed between creating shards and committing, or
 *   between committing and deleting) are harmless: readers only follow
 *   references. An occasional sweep deletes the shards no commit can
 *   reference any more (kubernetes-sweep.ts). A reader that finds a
 *   referenced shard gone re-reads the head: the shard was replaced after it
 *   read.
 * - Migration: a head without the ledger annotation is in the old form (all
 *   entries in status); it loads as before, and the first write converts it
 *   under the same compare-and-swap. Converting overwrites the old settings
 *   annotation with a non-JSON marker, so versions that read status as the
 *   ledger refuse the slice instead of trusting the bounded projection.
 * - Head view (process-wide, kubernetes-head-view.ts): the head this process
 *   last read or wrote, with when. Plans use it while it is at most
 *   PLAN_VIEW_MS old; writes use it of any age, only as the basis of the
 *   compare-and-swap; reads (`load`, `list`) always read the server.
 * - Remaining limit: the shard list in the head's annotations (256 KiB in
 *   all), ~30 bytes a shard: about a million entries. `storage` on every
 *   load reports how much of it a slice uses.
 *
 * - History: on the head, in an annotation written by the same
 *   compare-and-swap (sliceipam-shard.ts); each commit's events are then
 *   also published as Kubernetes Events on the head, best effort
 *   (kubernetes-events.ts).
 *
 * Every request goes through one API client (kubernetes-api.ts: retries and
 * error hints), shared with the WorkerSliceConfig reader.
 */
export class KubernetesLedgerStore implements LedgerStore {
    readonly description: string;
    readonly key: string;
    readonly writer: string;
    private readonly api: KubernetesApi;
    private readonly objects: LedgerObjects;
    private readonly view: HeadView;
    private readonly heads: HeadReader;
    private readonly commits: Commits;

    constructor(options: KubernetesStoreOptions) {
        // Loaded here, not at module load: the file store never pays for the client.
        const client = kubernetesClient();
        // Never the client's own loading: its YAML errors quote the kubeconfig, credentials included.
        // Process-wide: one parsed kubeconfig and keep-alive connections for every call (kubernetes-connection.ts).
        const { config, api, identity } = connect(client, {
            contents: options.kubeconfig,
            name: options.kubeconfigName ?? "store.kubeconfig (the store input's kubeconfig)",
            context: options.context,
        });
        const server = config.getCurrentCluster()?.server ?? "(no cluster in kubeconfig)";
        this.description = `Kubernetes store ${server} namespace ${options.namespace}`;
        this.key = `kubernetes:${server}/${options.namespace}`;
        this.writer = identity;
        this.api = new KubernetesApi(client, api, options.namespace, this.description, transientRetryFrom(process.env, options.transientAttempts));
        this.objects = new LedgerObjects(this.api);
        const cache = new ShardCache(this.key);
        this.view = new HeadView(this.key);
        this.heads = new HeadReader(this.objects, cache, this.view);
        this.commits = new Commits(this, this.objects, cache, this.view);
    }

    /** The clusters' usage signal: WorkerSliceConfigs of this namespace, read through this store's API client. */
    usageSource(): UsageSource {
        return new WorkerSliceConfigUsage(this.api);
    }

    async load(sliceName: string): Promise<VersionedLedger | undefined> {
        const head = await this.heads.load(sliceName);
        return head === undefined ? undefined : versioned(head);
    }

    /** The head this process saw at most PLAN_VIEW_MS ago, else read now: for plans only (kubernetes-head-view.ts). */
    async loadToPlan(sliceName: string): Promise<VersionedLedger | undefined> {
        const seen = this.view.recent(sliceName);
        if (seen !== undefined) {
            return seen.head === undefined ? undefined : versioned(seen.head);
        }
        return this.load(sliceName);
    }

    /** The head this process last read or wrote, of any age: a basis for compareAndSwap only, which refuses it if stale. */
    async loadToWrite(sliceName: string): Promise<VersionedLedger | undefined> {
        storableSliceName(sliceName);
        const head = this.view.seen(sliceName)?.head;
        return head === undefined ? undefined : versioned(head);
    }

    /** A burst of commits is over: write the status projection and delete the shards its commits replaced. */
    afterBurst(sliceName: string): Promise<void> {
        return this.commits.afterBurst(sliceName);
    }

    /** A commit's history as Kubernetes Events on the SliceIpam (kubernetes-events.ts): best effort, one attempt each. */
    async publishEvents(sliceName: string, events: readonly HistoryEvent[]): Promise<void> {
        const bodies = kubernetesEvents(this.api.namespace, sliceName, events, hostname());
        await inParallel(bodies, (body) => this.api.createOnce(EVENTS, body));
    }

    async list(): Promise<VersionedLedger[]> {
        return everyLedger(await this.listEach());
    }

    async listEach(): Promise<ListedSlice[]> {
        const objects = new Map<string, SliceIpamObject>();
        for (const item of await this.objects.heads()) {
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
                    const head = (await this.heads.read(objects.get(name)!)) ?? (await this.heads.load(name));
                    return head === undefined ? undefined : versioned(head);
                })),
            );
        }
        return results;
    }

    async compareAndSwap(sliceName: string, expectedVersion: string | undefined, next: SliceLedger | undefined): Promise<SwapResult> {
        storableSliceName(sliceName);
        if (expectedVersion === undefined) {
            return next === undefined ? { ok: true } : this.commits.register(next);
        }
        // The view is only a basis: the head write is guarded by `expectedVersion` all the same.
        let before = this.view.seen(sliceName)?.head;
        if (before?.version !== expectedVersion) {
            const object = await this.objects.head(sliceName);
            if (object === undefined || object.metadata.resourceVersion !== expectedVersion) {
                return { ok: false, conflict: true };
            }
            before = await this.heads.read(object);
            if (before === undefined) {
                return { ok: false, conflict: true };
            }
        }
        return next === undefined ? this.commits.remove(sliceName, before) : this.commits.swap(sliceName, before, next);
    }

    /** Deletes the slice's orphaned shards (kubernetes-sweep.ts); commits run it now and then; public for operators and tests. */
    sweep(sliceName: string): Promise<number> {
        return sweepOrphans(this.objects, sliceName);
    }
}
