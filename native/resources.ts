import type * as pulumi from "@pulumi/pulumi";
import type { ChildResourceClasses } from "../components/child-resources";
import { MANIFEST_FILE } from "../resources/manifest-file";
import { PackageResource, PackageResourceArgs } from "../resources/package-resource";
import { SLICE_IPAM } from "../resources/slice-ipam";
import { SUBNET_ALLOCATION } from "../resources/subnet-allocation";
import { MANIFEST_FILE_TOKEN, SLICE_IPAM_TOKEN, SUBNET_ALLOCATION_TOKEN } from "./type-token";

/**
 * A resource class registering `token` with this package's native provider:
 * the same inputs and outputs as the dynamic class it stands in for, minus
 * the `__provider` text, so no provider code lands in state.
 */
function nativeResourceClass<Resource>(
    token: string,
    outputs: readonly string[],
): new (name: string, args: PackageResourceArgs, opts?: pulumi.CustomResourceOptions) => Resource {
    return class extends PackageResource {
        constructor(name: string, args: PackageResourceArgs, opts?: pulumi.CustomResourceOptions) {
            super(token, name, args, outputs, opts);
        }
    } as unknown as new (name: string, args: object, opts?: pulumi.CustomResourceOptions) => Resource;
}

/**
 * KubeSliceIpam's children as the native provider's own resources
 * (`kubeslice-ipam:index:*`): what its `construct` builds the component from.
 */
export const NATIVE_CHILDREN: ChildResourceClasses = {
    SliceIpam: nativeResourceClass(SLICE_IPAM_TOKEN, SLICE_IPAM.outputs),
    SubnetAllocation: nativeResourceClass(SUBNET_ALLOCATION_TOKEN, SUBNET_ALLOCATION.outputs),
    ManifestFile: nativeResourceClass(MANIFEST_FILE_TOKEN, MANIFEST_FILE.outputs),
};
