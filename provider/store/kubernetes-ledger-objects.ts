import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { Allocation } from "../core/ledger";
import { inParallel } from "./in-parallel";
import { CustomResource, KubernetesApi } from "./kubernetes-api";
import { apiMessage, WriteOutcome } from "./kubernetes-requests";
import { CorruptLedgerError } from "./ledger-document";
import { storableSliceName } from "./ledger-store";
import { SLICE_IPAM_GROUP, SLICE_IPAM_PLURAL, SLICE_IPAM_VERSION, SliceIpamObject } from "./sliceipam-object";
import { digestOf, LABEL_SLICE, SHARD_GROUP, SHARD_PLURAL, SHARD_VERSION, ShardRef, shardObject, SliceIpamShardObject } from "./sliceipam-shard";

export const HEADS: CustomResource = { group: SLICE_IPAM_GROUP, version: SLICE_IPAM_VERSION, plural: SLICE_IPAM_PLURAL };
export const SHARDS: CustomResource = { group: SHARD_GROUP, version: SHARD_VERSION, plural: SHARD_PLURAL };

/** A shard a commit writes, not yet referenced by any head. */
export interface NewShard {
    readonly ref: ShardRef;
    readonly entries: readonly Allocation[];
}

/**
 * The store's objects on the server: `SliceIpam` heads and `SliceIpamShard`
 * shards of one namespace, and what their failures mean for the store. A
 * head or shard is absent only when the server says so by name; a 404 that
 * does not name the object means the resource type is not served (the CRDs
 * are missing, or the server is still starting), never "absent": a release
 * would otherwise see no slice and acknowledge nothing written.
 */
export class LedgerObjects {
    constructor(readonly api: KubernetesApi) {}

    get description(): string {
        return this.api.description;
    }

    get namespace(): string {
        return this.api.namespace;
    }

    head(sliceName: string): Promise<SliceIpamObject | undefined> {
        return this.read(`read slice "${sliceName}"`, HEADS, storableSliceName(sliceName));
    }

    /** Every head of the namespace, as the server lists them (unchecked). */
    async heads(): Promise<unknown[]> {
        try {
            return await this.api.list<unknown>("list slices", HEADS);
        } catch (error) {
            throw this.api.isCode(error, 404) ? this.unserved("list slices", HEADS, error) : error;
        }
    }

    shard(name: string): Promise<SliceIpamShardObject | undefined> {
        return this.read(`read shard ${name}`, SHARDS, name);
    }

    /** The slice's shards, and the API server's time of the answer (undefined when it sent no Date header). */
    async shardsOf(sliceName: string): Promise<{ items: SliceIpamShardObject[]; serverTime: number | undefined }> {
        try {
            return await this.api.listLabelled<SliceIpamShardObject>(`list shards of slice "${sliceName}"`, SHARDS, `${LABEL_SLICE}=${sliceName}`);
        } catch (error) {
            throw this.api.isCode(error, 404) ? this.missingShardType(error) : error;
        }
    }

    /** `basis`: the head the commit read (`commitBasis`), recorded on each shard for the sweep. */
    async createShards(sliceName: string, shards: readonly NewShard[], basis: string): Promise<void> {
        const done: NewShard[] = [];
        try {
            await inParallel(shards, async (shard) => {
                const { ref, entries } = shard;
                const body = shardObject(this.namespace, sliceName, ref, entries, basis);
                try {
                    await this.api.create(`create shard ${ref.name} of slice "${sliceName}"`, SHARDS, body);
                } catch (error) {
                    // AlreadyExists: a retried request of ours that had landed (names carry a random nonce).
                    const existing = this.api.isCode(error, 409) ? await this.shard(ref.name) : undefined;
                    if (existing === undefined || digestOf(existing.spec.allocations as Allocation[]) !== ref.digest) {
                        throw this.api.isCode(error, 404) ? this.missingShardType(error) : error;
                    }
                }
                done.push(shard);
            });
        } catch (error) {
            await this.discard(done);
            throw error;
        }
    }

    /**
     * Deletes these shards, best effort: the ones a commit created that no
     * head references (its write was refused or lost the race), or a removed
     * slice's.
     */
    discard(shards: Iterable<{ readonly ref: ShardRef }>): Promise<void> {
        return this.deleteShards(Array.from(shards, ({ ref }) => ref.name));
    }

    /** Best effort: an undeleted shard is unreferenced either way, and a later sweep deletes it. */
    async deleteShards(names: readonly string[]): Promise<void> {
        await inParallel(names, async (name) => {
            await this.api.delete(`delete shard ${name}`, SHARDS, name).catch(() => undefined);
        });
    }

    createHead(sliceName: string, body: SliceIpamObject, outcome: WriteOutcome): Promise<SliceIpamObject> {
        return this.api.create(`create slice "${sliceName}"`, HEADS, body, outcome);
    }

    /**
     * The compare-and-swap point: guarded by the body's `metadata.resourceVersion`.
     * A 404 naming the head means it was deleted; one that does not, that the type is not served.
     */
    async replaceHead(sliceName: string, body: SliceIpamObject, outcome: WriteOutcome): Promise<SliceIpamObject> {
        const what = `update slice "${sliceName}"`;
        try {
            return await this.api.replace(what, HEADS, sliceName, body, outcome);
        } catch (error) {
            throw this.api.isCode(error, 404) && !this.api.isNotFound(error, SLICE_IPAM_PLURAL, sliceName)
                ? this.unserved(what, HEADS, error)
                : error;
        }
    }

    writeStatus(head: SliceIpamObject): Promise<SliceIpamObject> {
        return this.api.replaceStatus(`update status of slice "${head.metadata.name}"`, HEADS, head.metadata.name, head);
    }

    deleteHead(sliceName: string, resourceVersion: string): Promise<void> {
        return this.api.delete(`delete slice "${sliceName}"`, HEADS, sliceName, resourceVersion);
    }

    corrupt(object: SliceIpamObject, problems: readonly string[]): CorruptLedgerError {
        return new CorruptLedgerError(`SliceIpam ${this.namespace}/${object.metadata?.name} (${this.description})`, problems);
    }

    private async read<T>(what: string, resource: CustomResource, name: string): Promise<T | undefined> {
        try {
            return await this.api.get<T>(what, resource, name);
        } catch (error) {
            throw this.api.isCode(error, 404) ? this.unserved(what, resource, error) : error;
        }
    }

    /** A 404 that does not name the object: its resource type is not served, for longer than a server takes to start. */
    private unserved(what: string, resource: CustomResource, cause: unknown): Error {
        return this.api.failure(
            "resource-type-not-served",
            what,
            `the API server kept answering 404 without saying that the object is missing, so the ${resource.plural}.${resource.group} ` +
                `resource type is not served there: install deploy/kubernetes/sliceipam-crd.yaml, or wait for the API server to ` +
                `finish starting and try again; nothing was written`,
            cause,
        );
    }

    /** A 404 for the shard collection: the CRD is not installed (or, on a real cluster, the namespace is missing). */
    private missingShardType(cause: unknown): Error {
        const api = this.api.apiError(cause);
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
}
