import type * as k8s from "@kubernetes/client-node";
import type { KubernetesClient } from "./kubernetes-client";
import { KubernetesRequests, TransientRetry, WriteOutcome } from "./kubernetes-requests";

/** A custom resource type as the API addresses it. */
export interface CustomResource {
    readonly group: string;
    readonly version: string;
    readonly plural: string;
}

/**
 * The custom objects of one namespace, every request retried and its failure
 * explained (kubernetes-requests.ts). The store and the WorkerSliceConfig
 * reader share one, so both read with the same identity, the same retry
 * windows and the same hints; each interprets what a 404 means for its own
 * resource types.
 */
export class KubernetesApi extends KubernetesRequests {
    constructor(
        client: KubernetesClient,
        private readonly objects: k8s.CustomObjectsApi,
        readonly namespace: string,
        description: string,
        retry: TransientRetry,
    ) {
        super(client, description, retry);
    }

    /**
     * One object, or undefined when the server says this very object does not
     * exist ({@link isNotFound}); any other 404 (an unserved resource type) is
     * thrown as the client's ApiException for the caller to explain.
     */
    async get<T>(what: string, resource: CustomResource, name: string): Promise<T | undefined> {
        try {
            return (await this.call(what, () => this.objects.getNamespacedCustomObject({ ...resource, namespace: this.namespace, name }))) as T;
        } catch (error) {
            if (this.isNotFound(error, resource.plural, name)) {
                return undefined;
            }
            throw error;
        }
    }

    async list<T>(what: string, resource: CustomResource): Promise<T[]> {
        const listed = (await this.call(what, () => this.objects.listNamespacedCustomObject({ ...resource, namespace: this.namespace }))) as {
            items?: T[];
        };
        return listed.items ?? [];
    }

    /** The objects with a label, and the API server's time of the answer (undefined when it sent no Date header). */
    async listLabelled<T>(what: string, resource: CustomResource, labelSelector: string): Promise<{ items: T[]; serverTime: number | undefined }> {
        const listed = await this.call(what, () =>
            this.objects.listNamespacedCustomObjectWithHttpInfo({ ...resource, namespace: this.namespace, labelSelector }),
        );
        const date = Date.parse(listed.headers?.date ?? "");
        return { items: (listed.data as { items?: T[] }).items ?? [], serverTime: Number.isNaN(date) ? undefined : date };
    }

    async create<T>(what: string, resource: CustomResource, body: object, outcome?: WriteOutcome): Promise<T> {
        return (await this.call(
            what,
            () => this.objects.createNamespacedCustomObject({ ...resource, namespace: this.namespace, body }),
            outcome,
        )) as T;
    }

    /** One attempt, no retry, no hint: for what is best effort (Events), where a failure is dropped, not waited out. */
    async createOnce(resource: CustomResource, body: object): Promise<void> {
        await this.objects.createNamespacedCustomObject({ ...resource, namespace: this.namespace, body });
    }

    /** Guarded by the body's `metadata.resourceVersion`: a 409 when the object changed since. */
    async replace<T>(what: string, resource: CustomResource, name: string, body: object, outcome?: WriteOutcome): Promise<T> {
        return (await this.call(
            what,
            () => this.objects.replaceNamespacedCustomObject({ ...resource, namespace: this.namespace, name, body }),
            outcome,
        )) as T;
    }

    async replaceStatus<T>(what: string, resource: CustomResource, name: string, body: object): Promise<T> {
        return (await this.call(what, () =>
            this.objects.replaceNamespacedCustomObjectStatus({ ...resource, namespace: this.namespace, name, body }),
        )) as T;
    }

    /** With `resourceVersion`, only that version is deleted: a 409 when the object changed since. */
    async delete(what: string, resource: CustomResource, name: string, resourceVersion?: string): Promise<void> {
        const body = resourceVersion === undefined ? undefined : { preconditions: { resourceVersion } };
        await this.call(what, () =>
            this.objects.deleteNamespacedCustomObject({ ...resource, namespace: this.namespace, name, ...(body && { body }) }),
        );
    }
}
