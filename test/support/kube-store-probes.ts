/**
 * Looking at and interfering with the Kubernetes store from tests: the
 * shards a slice has on the server, and a fault placed in front of the real
 * API server for one namespace.
 */
import { ANNOTATION_LEDGER, SHARD_GROUP, SHARD_PLURAL, SHARD_VERSION } from "../../provider/store/sliceipam-shard";
import { SLICE_IPAM_GROUP, SLICE_IPAM_PLURAL, SLICE_IPAM_VERSION } from "../../provider/store/sliceipam-object";
import type { TestApiServer } from "./kube-apiserver";

type Api = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** The shards of `slice` listed in its namespace, and the ones its head references, as the server has them. */
export async function shardsOnServer(server: TestApiServer, namespace: string, slice: string): Promise<{ listed: string[]; referenced: string[] }> {
    const objects = server.config.makeApiClient(server.client.CustomObjectsApi);
    const resource = { group: SLICE_IPAM_GROUP, version: SLICE_IPAM_VERSION, plural: SLICE_IPAM_PLURAL };
    const head = (await objects.getNamespacedCustomObject({ ...resource, namespace, name: slice })) as any;
    const referenced = (JSON.parse(head.metadata.annotations[ANNOTATION_LEDGER]).shards as string[]).map(
        (ref) => `${slice}-${ref.split(":")[0]}-${ref.split(":")[1]}`,
    );
    const shards = { group: SHARD_GROUP, version: SHARD_VERSION, plural: SHARD_PLURAL };
    const listed = (await objects.listNamespacedCustomObject({ ...shards, namespace })) as any;
    return { listed: (listed.items as any[]).map((shard) => shard.metadata.name as string), referenced };
}

/** Shards no head references (orphans). */
export async function unreferencedShards(server: TestApiServer, namespace: string, slice: string): Promise<string[]> {
    const { listed, referenced } = await shardsOnServer(server, namespace, slice);
    return listed.filter((name) => !referenced.includes(name));
}

/** Shards the head references that do not exist: every later reader (with no cached copy) would refuse the slice. */
export async function missingShards(server: TestApiServer, namespace: string, slice: string): Promise<string[]> {
    const { listed, referenced } = await shardsOnServer(server, namespace, slice);
    return referenced.filter((name) => !listed.includes(name));
}

/**
 * Wraps one method of the API client's prototype for requests in
 * `namespace`: `around` gets the real call and the request's parameters. The prototype, not one store's
 * client, since every store object of the process must meet the fault.
 * Returns what restores the method.
 */
export function interceptClient(
    server: TestApiServer,
    method: string,
    namespace: string,
    around: (real: () => Promise<unknown>, request: { readonly plural?: string; readonly name?: string }) => Promise<unknown>,
): () => void {
    const prototype = server.client.CustomObjectsApi.prototype as unknown as Api;
    const real = prototype[method];
    prototype[method] = function (this: unknown, ...args: unknown[]) {
        const call = () => real.apply(this, args);
        const request = args[0] as { namespace?: string; plural?: string; name?: string } | undefined;
        return request?.namespace === namespace ? around(call, request) : call();
    };
    return () => (prototype[method] = real);
}
