import * as pulumi from "@pulumi/pulumi";
import { StoreInput, withSecretStore } from "./store-input";

/** A resource's arguments: its inputs, among them the store, which may carry a kubeconfig. */
export type PackageResourceArgs = object & { readonly store?: pulumi.Input<StoreInput> };

/**
 * A resource of this package, whichever provider serves it: the dynamic
 * provider ({@link DynamicResource}) or the native one (`native/resources.ts`).
 * The outputs its provider computes are declared with no value yet, so the
 * resource object has them either way; a store that may carry a kubeconfig
 * is kept secret in the outputs.
 */
export abstract class PackageResource extends pulumi.CustomResource {
    protected constructor(
        token: string,
        name: string,
        args: PackageResourceArgs,
        outputs: readonly string[],
        opts: pulumi.CustomResourceOptions | undefined,
        providerProps: pulumi.Inputs = {},
    ) {
        super(token, name, { ...args, ...unsetOutputs(outputs), ...providerProps }, withSecretStore(args.store, opts));
    }
}

/** `names` as properties with no value yet: a custom resource's outputs that are not among its inputs. */
function unsetOutputs(names: readonly string[]): Record<string, undefined> {
    return Object.fromEntries(names.map((name) => [name, undefined]));
}
