import type * as pulumi from "@pulumi/pulumi";
import { SliceIpam, SliceIpamArgs } from "../resources/slice-ipam";
import { SubnetAllocation, SubnetAllocationArgs } from "../resources/subnet-allocation";
import { ManifestFile, ManifestFileArgs } from "../resources/manifest-file";
import { KubeconfigProvider } from "../resources/kubeconfig-provider";

type ResourceClass<Args, Resource> = new (name: string, args: Args, opts?: pulumi.CustomResourceOptions) => Resource;

/**
 * The resource classes KubeSliceIpam builds its children from. A TypeScript
 * program gets the dynamic resources; the native provider's `construct`
 * passes its own resource types instead, so that the same component (one
 * plan, one validation, the same child names) serves every language.
 * Internal.
 */
export interface ChildResourceClasses {
    readonly SliceIpam: ResourceClass<SliceIpamArgs, SliceIpam>;
    readonly SubnetAllocation: ResourceClass<SubnetAllocationArgs, SubnetAllocation>;
    readonly ManifestFile: ResourceClass<ManifestFileArgs, ManifestFile>;
    /** A provider holding the store's kubeconfig once for the children it serves (components/child-store.ts); none: each child's input holds it. */
    readonly KubeconfigProvider?: new (
        name: string,
        kubeconfig: pulumi.Input<string | undefined>,
        opts?: pulumi.ResourceOptions,
    ) => pulumi.ProviderResource;
}

export const DYNAMIC_CHILDREN: ChildResourceClasses = { SliceIpam, SubnetAllocation, ManifestFile, KubeconfigProvider };
