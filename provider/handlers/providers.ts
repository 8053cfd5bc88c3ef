import type * as pulumi from "@pulumi/pulumi";
import * as manifestFile from "./manifest-file";
import * as sliceIpam from "./slice-ipam";
import * as subnetAllocation from "./subnet-allocation";
import * as subnetUsage from "./subnet-usage";

interface Handlers {
    check: NonNullable<pulumi.dynamic.ResourceProvider["check"]>;
    diff: NonNullable<pulumi.dynamic.ResourceProvider["diff"]>;
    create: pulumi.dynamic.ResourceProvider["create"];
    read: NonNullable<pulumi.dynamic.ResourceProvider["read"]>;
    update: NonNullable<pulumi.dynamic.ResourceProvider["update"]>;
    remove: NonNullable<pulumi.dynamic.ResourceProvider["delete"]>;
}

function asProvider(handlers: Handlers): pulumi.dynamic.ResourceProvider {
    const { check, diff, create, read, update, remove } = handlers;
    return { check, diff, create, read, update, delete: remove };
}

/**
 * The handlers of each resource kind as the dynamic-provider host calls them:
 * what the one-line `__provider` module (`providerModuleText`) hands back.
 */
export const providers = {
    sliceIpam: asProvider(sliceIpam),
    subnetAllocation: asProvider(subnetAllocation),
    manifestFile: asProvider(manifestFile),
    subnetUsage: asProvider(subnetUsage),
} as const;
