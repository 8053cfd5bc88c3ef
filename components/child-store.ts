import * as pulumi from "@pulumi/pulumi";
import { KubeconfigError, kubeconfigServer } from "../provider/store/kubeconfig";
import { StoreInput, withoutCredentials } from "../resources/store-input";
import type { ChildResourceClasses } from "./child-resources";

/** The store input the component's children get, and the provider that then serves them. */
export interface ChildStore {
    readonly store: pulumi.Input<StoreInput> | undefined;
    readonly provider?: pulumi.ProviderResource;
}

/**
 * A kubeconfig in the store input would otherwise sit, encrypted, in the
 * inputs and outputs of every child (three times the state of a cluster
 * without it), and the engine rewrites the whole state after each step: at
 * 200 clusters `pulumi up` took 1.8× as long. The children get a provider of
 * their own holding it once instead, and a store input naming the API server
 * it reaches (a new server is still a store move that each update checks),
 * which holds no credentials and is not secret.
 *
 * Whether a provider is needed is decided now, from the input's shape: an
 * Output may hold a kubeconfig. A plain file store, or a Kubernetes store
 * read from KUBECONFIG, keeps the default provider and its input unchanged.
 */
export function childStore(
    parent: pulumi.Resource,
    name: string,
    store: pulumi.Input<StoreInput> | undefined,
    classes: ChildResourceClasses,
): ChildStore {
    if (classes.KubeconfigProvider === undefined || !mayHoldKubeconfig(store)) {
        return { store };
    }
    const spec = pulumi.output(store) as pulumi.Output<StoreInput>;
    const provider = new classes.KubeconfigProvider(
        `${name}-store`,
        spec.apply((resolved) => (resolved.kind === "kubernetes" ? resolved.kubeconfig : undefined)),
        { parent },
    );
    // Nothing secret is left in it: previews show the namespace and server a child's store names.
    return { store: withoutCredentials(pulumi.unsecret(spec).apply(withKubeconfigFromProvider)), provider };
}

function mayHoldKubeconfig(store: pulumi.Input<StoreInput> | undefined): boolean {
    if (store === undefined) {
        return false;
    }
    if (pulumi.Output.isInstance(store) || pulumi.Output.isInstance((store as { kubeconfig?: unknown }).kubeconfig)) {
        return true;
    }
    return (store as StoreInput).kind === "kubernetes" && (store as { kubeconfig?: unknown }).kubeconfig !== undefined;
}

/**
 * Never a kubeconfig: a child's store input is not secret. One that does not
 * load names no server, and opening the store reports it, by line and
 * column, as the provider's configuration's.
 */
function withKubeconfigFromProvider(spec: StoreInput): StoreInput {
    if (spec.kind !== "kubernetes" || spec.kubeconfig === undefined) {
        return spec;
    }
    const { kubeconfig, ...rest } = spec;
    const server = serverOf(kubeconfig, spec.context);
    return { ...rest, kubeconfigFrom: "provider", ...(server === undefined ? {} : { server }) };
}

function serverOf(kubeconfig: string, context: string | undefined): string | undefined {
    try {
        return kubeconfigServer(kubeconfig, "store.kubeconfig (the store input's kubeconfig)", context);
    } catch (error) {
        if (error instanceof KubeconfigError) {
            return undefined;
        }
        throw error;
    }
}
