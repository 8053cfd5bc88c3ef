import * as pulumi from "@pulumi/pulumi";
import type { StoreSpec } from "../provider/store/store-spec";

/** Where allocation state is kept. Omitted: the file store in `.slice-ipam/` beside the Pulumi project. */
export type StoreInput = StoreSpec;

const credentialFree = new WeakSet<object>();

/** Marks a store input that carries no kubeconfig whatever it resolves to (KubeSliceIpam's children's): its outputs stay readable. */
export function withoutCredentials(store: pulumi.Output<StoreInput>): pulumi.Output<StoreInput> {
    credentialFree.add(store);
    return store;
}

/**
 * A store input that may carry a kubeconfig is kept secret in the outputs as
 * well as the inputs, so credentials never reach Pulumi state in plain text.
 * A plain file store stays readable in previews.
 */
export function withSecretStore<T extends pulumi.CustomResourceOptions>(
    store: pulumi.Input<StoreInput> | undefined,
    opts: T | undefined,
): T | undefined {
    const plainFileStore = store === undefined || (!pulumi.Output.isInstance(store) && (store as StoreInput).kind === "file");
    if (plainFileStore || credentialFree.has(store as object)) {
        return opts;
    }
    return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "store"] } as T;
}
