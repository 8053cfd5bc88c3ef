import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { UsageObservation } from "../core/usage";
import { connectedPodsOf } from "../core/worker-slice-status";
import type { KubernetesApi } from "./kubernetes-api";

/**
 * Where the usage signal of a slice's clusters is read: what each cluster's
 * WorkerSliceConfig (`<slice>-<cluster>`) reports in `status.connectedAppPods`.
 * Only a store that reaches the controller cluster has one: the file store,
 * with rendered manifests, observes nothing.
 */
export interface UsageSource {
    /** Names the source in messages, e.g. `WorkerSliceConfigs of Kubernetes store https://… namespace kubeslice-cisco`. */
    readonly description: string;
    /**
     * What each cluster's WorkerSliceConfig reports (`found: false` when it
     * has none). Throws {@link UsageNotObservableError} when the cluster
     * cannot hold WorkerSliceConfigs at all, and the server's error (with
     * what to do) for anything else, such as a 403.
     */
    observe(sliceName: string, clusterNames: readonly string[]): Promise<UsageObservation[]>;
}

/** The source's cluster has no WorkerSliceConfig resource type: usage cannot be observed there. */
export class UsageNotObservableError extends KubesliceIpamError {
    constructor(message: string) {
        super("usage-not-observable", message);
        this.name = "UsageNotObservableError";
    }
}

export const WORKER_SLICE_CONFIG_RESOURCE = { group: "worker.kubeslice.io", version: "v1alpha1", plural: "workersliceconfigs" } as const;

interface WorkerSliceConfigObject {
    readonly metadata?: { readonly name?: string };
    readonly spec?: { readonly sliceName?: unknown };
    readonly status?: unknown;
}

/**
 * Reads WorkerSliceConfigs in the store's namespace: KubeSlice keeps them in
 * the project namespace, beside the slice's SliceIpam. One cluster is one GET
 * (a refresh); several are one LIST of the namespace (a sync). Reads only, so
 * the store's identity needs get and list on workersliceconfigs, nothing more.
 */
export class WorkerSliceConfigUsage implements UsageSource {
    readonly description: string;

    /** `api`: the Kubernetes store's own client, so usage is read with its identity, retries and hints. */
    constructor(private readonly api: KubernetesApi) {
        this.description = `WorkerSliceConfigs of ${api.description}`;
    }

    async observe(sliceName: string, clusterNames: readonly string[]): Promise<UsageObservation[]> {
        const wanted = clusterNames.map((clusterName) => ({ clusterName, name: `${sliceName}-${clusterName}` }));
        const found = new Map<string, WorkerSliceConfigObject>();
        if (wanted.length === 1) {
            const object = await this.get(sliceName, wanted[0].clusterName, wanted[0].name);
            if (object !== undefined) {
                found.set(wanted[0].name, object);
            }
        } else if (wanted.length > 1) {
            for (const object of await this.list(sliceName)) {
                found.set(object.metadata?.name ?? "", object);
            }
        }
        return wanted.map(({ clusterName, name }): UsageObservation => {
            const object = found.get(name);
            // `<slice>-<cluster>` is ambiguous ("a-b" + "c" and "a" + "b-c"): the spec says whose it is.
            if (object === undefined || (object.spec?.sliceName !== undefined && object.spec.sliceName !== sliceName)) {
                return { clusterName, found: false, workerSliceConfig: name };
            }
            const { pods, ignored } = connectedPodsOf(object.status);
            return { clusterName, found: true, workerSliceConfig: name, connectedPods: pods.length, ignored };
        });
    }

    private async get(sliceName: string, clusterName: string, name: string): Promise<WorkerSliceConfigObject | undefined> {
        const what = `read WorkerSliceConfig ${this.api.namespace}/${name} of slice "${sliceName}", cluster "${clusterName}"`;
        try {
            return await this.api.get<WorkerSliceConfigObject>(what, WORKER_SLICE_CONFIG_RESOURCE, name);
        } catch (error) {
            // A missing object names itself in the 404's Status (undefined above); a missing resource type does not.
            throw this.api.isCode(error, 404) ? this.noResourceType(sliceName) : error;
        }
    }

    private async list(sliceName: string): Promise<WorkerSliceConfigObject[]> {
        try {
            return await this.api.list<WorkerSliceConfigObject>(
                `list WorkerSliceConfigs in ${this.api.namespace} for slice "${sliceName}"`,
                WORKER_SLICE_CONFIG_RESOURCE,
            );
        } catch (error) {
            throw this.api.isCode(error, 404) ? this.noResourceType(sliceName) : error;
        }
    }

    private noResourceType(sliceName: string): UsageNotObservableError {
        return new UsageNotObservableError(
            `${this.api.description} has no WorkerSliceConfig resource type (workersliceconfigs.` +
                `${WORKER_SLICE_CONFIG_RESOURCE.group}), so the usage of slice "${sliceName}" cannot be observed there: ` +
                `point the store at the KubeSlice controller cluster, whose worker operators report connected pods in ` +
                `WorkerSliceConfig status, or leave usage unobserved (allocations stay Allocated; nothing else changes)`,
        );
    }
}
