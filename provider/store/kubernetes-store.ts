import type * as k8s from "@kubernetes/client-node";
import { LedgerCounters, SliceLedger } from "../core/ledger";
import { isDnsLabel } from "../core/validation";
import { CorruptLedgerError } from "./ledger-document";
import { LedgerStore, SwapResult, VersionedLedger } from "./ledger-store";
import {
    annotationsOf,
    ledgerOf,
    SLICE_IPAM_GROUP,
    SLICE_IPAM_PLURAL,
    SLICE_IPAM_VERSION,
    SliceIpamObject,
    sliceIpamObject,
    statusOf,
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

/**
 * Ledgers as KubeSlice `SliceIpam` objects in one namespace of a cluster.
 *
 * Every write names the `resourceVersion` it read, so the API server answers
 * 409 Conflict when someone wrote in between (a conflict result; the caller
 * re-reads and retries). The allocations live in `status` (written through
 * the status subresource), the grace period, cluster limit and counters in
 * annotations; a change's authoritative part is written in one request:
 * allocation changes as one status update, setting changes as one object
 * update. The other part follows (capacity figures after a settings change,
 * counters after an allocation change) and merges with concurrent writers,
 * so a process dying in between loses at most metric increments.
 */
export class KubernetesLedgerStore implements LedgerStore {
    readonly description: string;
    readonly key: string;
    private readonly api: k8s.CustomObjectsApi;
    private readonly client: typeof k8s;
    private readonly namespace: string;
    private readonly transientAttempts: number;
    /** Objects as last read, by resourceVersion, so a swap knows what it changes. */
    private readonly seen = new Map<string, SliceIpamObject>();

    constructor(options: KubernetesStoreOptions) {
        // Loaded here, not at module load: the file store never pays for the client.
        this.client = require("@kubernetes/client-node") as typeof k8s;
        const config = new this.client.KubeConfig();
        if (options.kubeconfig !== undefined) {
            config.loadFromString(options.kubeconfig);
        } else {
            config.loadFromDefault();
        }
        if (options.context !== undefined) {
            config.setCurrentContext(options.context);
        }
        const server = config.getCurrentCluster()?.server ?? "(no cluster in kubeconfig)";
        this.namespace = options.namespace;
        this.description = `Kubernetes store ${server} namespace ${options.namespace}`;
        this.key = `kubernetes:${server}/${options.namespace}`;
        this.api = config.makeApiClient(this.client.CustomObjectsApi);
        this.transientAttempts = options.transientAttempts ?? DEFAULT_TRANSIENT_ATTEMPTS;
    }

    async load(sliceName: string): Promise<VersionedLedger | undefined> {
        const object = await this.get(sliceName);
        return object === undefined ? undefined : this.remember(object);
    }

    async list(): Promise<VersionedLedger[]> {
        const listed = (await this.call("list slices", () =>
            this.api.listNamespacedCustomObject({ ...this.resource(), namespace: this.namespace }),
        )) as { items?: SliceIpamObject[] };
        return (listed.items ?? [])
            .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
            .map((object) => this.remember(object));
    }

    async compareAndSwap(sliceName: string, expectedVersion: string | undefined, next: SliceLedger | undefined): Promise<SwapResult> {
        this.nameOf(sliceName);
        if (expectedVersion === undefined) {
            return next === undefined ? { ok: true } : this.create(next);
        }
        const remembered = this.seen.get(expectedVersion);
        const current = remembered?.metadata.name === sliceName ? remembered : await this.get(sliceName);
        if (current === undefined || current.metadata.resourceVersion !== expectedVersion) {
            return { ok: false, conflict: true };
        }
        if (next === undefined) {
            return this.remove(sliceName, expectedVersion);
        }
        const before = this.decode(current);
        const settingsChanged =
            before.spec.gracePeriodSeconds !== next.spec.gracePeriodSeconds || before.spec.maxClusters !== next.spec.maxClusters;
        const allocationsChanged = JSON.stringify(before.allocations) !== JSON.stringify(next.allocations);

        if (allocationsChanged) {
            const written = await this.writeStatus(current, next);
            if (written === "conflict") {
                return { ok: false, conflict: true };
            }
            const final = await this.mergeAnnotations(sliceName, written, before, next);
            return { ok: true, version: final.metadata.resourceVersion };
        }
        const written = await this.writeObject({ ...current, metadata: { ...current.metadata, annotations: mergedAnnotations(current, next) } });
        if (written === "conflict") {
            return { ok: false, conflict: true };
        }
        if (settingsChanged) {
            // Capacity in status depends on maxClusters; a lost race here is repaired by the next write.
            const refreshed = await this.writeStatus(written, next);
            if (refreshed !== "conflict") {
                return { ok: true, version: refreshed.metadata.resourceVersion };
            }
        }
        return { ok: true, version: written.metadata.resourceVersion };
    }

    private async create(next: SliceLedger): Promise<SwapResult> {
        let created: SliceIpamObject;
        try {
            created = (await this.call(`create slice "${next.spec.sliceName}"`, () =>
                this.api.createNamespacedCustomObject({
                    ...this.resource(),
                    namespace: this.namespace,
                    body: sliceIpamObject(next, this.namespace),
                }),
            )) as SliceIpamObject;
        } catch (error) {
            if (this.isCode(error, 409)) {
                return { ok: false, conflict: true };
            }
            throw error;
        }
        // Create ignores status when the status subresource is on; write it now.
        const written = await this.writeStatus(created, next);
        const final = written === "conflict" ? created : written;
        this.remember(final);
        return { ok: true, version: final.metadata.resourceVersion };
    }

    private async remove(sliceName: string, expectedVersion: string): Promise<SwapResult> {
        try {
            await this.call(`delete slice "${sliceName}"`, () =>
                this.api.deleteNamespacedCustomObject({
                    ...this.resource(),
                    namespace: this.namespace,
                    name: sliceName,
                    body: { preconditions: { resourceVersion: expectedVersion } },
                }),
            );
            return { ok: true };
        } catch (error) {
            if (this.isCode(error, 409) || this.isCode(error, 404)) {
                return { ok: false, conflict: true };
            }
            throw error;
        }
    }

    private writeStatus(current: SliceIpamObject, next: SliceLedger): Promise<SliceIpamObject | "conflict"> {
        return this.conflictOn409(`update status of slice "${next.spec.sliceName}"`, () =>
            this.api.replaceNamespacedCustomObjectStatus({
                ...this.resource(),
                namespace: this.namespace,
                name: current.metadata.name,
                body: { ...current, status: statusOf(next, new Date()) },
            }),
        );
    }

    private writeObject(body: SliceIpamObject): Promise<SliceIpamObject | "conflict"> {
        return this.conflictOn409(`update slice "${body.metadata.name}"`, () =>
            this.api.replaceNamespacedCustomObject({ ...this.resource(), namespace: this.namespace, name: body.metadata.name, body }),
        );
    }

    /** A write guarded by resourceVersion: the written object, or "conflict" when someone wrote in between. */
    private async conflictOn409(what: string, write: () => Promise<unknown>): Promise<SliceIpamObject | "conflict"> {
        try {
            return this.rememberObject((await this.call(what, write)) as SliceIpamObject);
        } catch (error) {
            if (this.isCode(error, 409)) {
                return "conflict";
            }
            throw error;
        }
    }

    /**
     * After an allocation change: add this change's counter increments to the
     * counters stored now (other writers may have added theirs in between).
     */
    private async mergeAnnotations(
        sliceName: string,
        written: SliceIpamObject,
        before: SliceLedger,
        next: SliceLedger,
    ): Promise<SliceIpamObject> {
        let current = written;
        for (let attempt = 0; attempt < this.transientAttempts * 4; attempt++) {
            const stored = this.decode(current);
            const counters = addCounters(stored.counters, next.counters, before.counters);
            const annotations = { ...current.metadata.annotations, ...annotationsOf({ ...stored, counters }) };
            const result = await this.writeObject({ ...current, metadata: { ...current.metadata, annotations } });
            if (result !== "conflict") {
                return result;
            }
            const reread = await this.get(sliceName);
            if (reread === undefined) {
                return current;
            }
            current = reread;
        }
        return current;
    }

    private async get(sliceName: string): Promise<SliceIpamObject | undefined> {
        const name = this.nameOf(sliceName);
        try {
            return (await this.call(`read slice "${sliceName}"`, () =>
                this.api.getNamespacedCustomObject({ ...this.resource(), namespace: this.namespace, name }),
            )) as SliceIpamObject;
        } catch (error) {
            if (this.isCode(error, 404)) {
                return undefined;
            }
            throw error;
        }
    }

    private remember(object: SliceIpamObject): VersionedLedger {
        this.rememberObject(object);
        return { ledger: this.decode(object), version: object.metadata.resourceVersion! };
    }

    private rememberObject(object: SliceIpamObject): SliceIpamObject {
        if (object.metadata.resourceVersion !== undefined) {
            this.seen.set(object.metadata.resourceVersion, object);
        }
        return object;
    }

    private decode(object: SliceIpamObject): SliceLedger {
        const decoded = ledgerOf(object);
        if (!decoded.ok) {
            throw new CorruptLedgerError(`SliceIpam ${this.namespace}/${object.metadata?.name} (${this.description})`, decoded.problems);
        }
        return decoded.ledger;
    }

    private nameOf(sliceName: string): string {
        if (!isDnsLabel(sliceName)) {
            throw new Error(`refusing slice name ${JSON.stringify(sliceName)}: not a DNS-1123 label`);
        }
        return sliceName;
    }

    private resource() {
        return { group: SLICE_IPAM_GROUP, version: SLICE_IPAM_VERSION, plural: SLICE_IPAM_PLURAL };
    }

    private isCode(error: unknown, code: number): boolean {
        return error instanceof this.client.ApiException && error.code === code;
    }

    /**
     * Runs one API call, retrying server errors, throttling and connection
     * failures a bounded number of times; then the API server's own message is
     * surfaced. Other client errors (404, 409, 422, 403) return at once.
     */
    private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
        for (let attempt = 1; ; attempt++) {
            try {
                return await request();
            } catch (error) {
                const transient = this.isTransient(error);
                if (!transient || attempt >= this.transientAttempts) {
                    throw this.explain(what, error, transient ? attempt : undefined);
                }
                await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2_000, 100 * 2 ** attempt)));
            }
        }
    }

    private isTransient(error: unknown): boolean {
        if (error instanceof this.client.ApiException) {
            return error.code >= 500 || error.code === 429;
        }
        const code = (error as { code?: string; cause?: { code?: string } })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
        return ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET"].includes(String(code));
    }

    private explain(what: string, error: unknown, attempts: number | undefined): Error {
        if (error instanceof this.client.ApiException && [404, 409].includes(error.code)) {
            return error; // expected codes, interpreted by the caller
        }
        const message = error instanceof this.client.ApiException ? apiMessage(error) : (error as Error)?.message ?? String(error);
        const retried = attempts === undefined ? "" : ` (after ${attempts} attempts)`;
        const hint =
            error instanceof this.client.ApiException && error.code === 403
                ? "; grant the store's identity the kubeslice-ipam-store role (deploy/kubernetes/rbac.yaml)"
                : "";
        const wrapped = new Error(`${this.description}: cannot ${what}${retried}: ${message}${hint}`);
        (wrapped as Error & { cause?: unknown }).cause = error;
        return wrapped;
    }
}

function mergedAnnotations(current: SliceIpamObject, next: SliceLedger): Record<string, string> {
    return { ...current.metadata.annotations, ...annotationsOf(next) };
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

/** stored + (next − before), counter by counter: increments merge, none is lost or doubled. */
function addCounters(stored: LedgerCounters, next: LedgerCounters, before: LedgerCounters): LedgerCounters {
    const delta = (key: "conflicts" | "allocationsSucceeded" | "allocationsFailed" | "releases" | "reclaimed") =>
        stored[key] + next[key] - before[key];
    return {
        conflicts: delta("conflicts"),
        allocationsSucceeded: delta("allocationsSucceeded"),
        allocationsFailed: delta("allocationsFailed"),
        releases: delta("releases"),
        reclaimed: delta("reclaimed"),
        allocationLatency: {
            bucketCounts: stored.allocationLatency.bucketCounts.map(
                (n, i) => n + next.allocationLatency.bucketCounts[i] - before.allocationLatency.bucketCounts[i],
            ),
            sum: stored.allocationLatency.sum + next.allocationLatency.sum - before.allocationLatency.sum,
            count: stored.allocationLatency.count + next.allocationLatency.count - before.allocationLatency.count,
        },
    };
}
