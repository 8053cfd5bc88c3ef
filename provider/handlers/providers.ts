import type * as pulumi from "@pulumi/pulumi";
import * as manifestFile from "./manifest-file";
import * as sliceIpam from "./slice-ipam";
import * as subnetAllocation from "./subnet-allocation";
import * as subnetUsage from "./subnet-usage";
import { configureProviderKubeconfig, PROVIDER_KUBECONFIG_KEY } from "../store/provider-kubeconfig";

interface Handlers {
    check: NonNullable<pulumi.dynamic.ResourceProvider["check"]>;
    diff: NonNullable<pulumi.dynamic.ResourceProvider["diff"]>;
    create: pulumi.dynamic.ResourceProvider["create"];
    read: NonNullable<pulumi.dynamic.ResourceProvider["read"]>;
    update: NonNullable<pulumi.dynamic.ResourceProvider["update"]>;
    remove: NonNullable<pulumi.dynamic.ResourceProvider["delete"]>;
}

/**
 * The host calls this once per process, before any other call, with the
 * provider's configuration: KubeSliceIpam's own provider carries the
 * Kubernetes store's kubeconfig; the default provider, the stack's config.
 */
export async function configure(request: pulumi.dynamic.ConfigureRequest): Promise<void> {
    configureProviderKubeconfig(request.config.get(PROVIDER_KUBECONFIG_KEY));
}

function asProvider(handlers: Handlers): pulumi.dynamic.ResourceProvider {
    const { check, diff, create, read, update, remove } = handlers;
    return { configure, check, diff, create, read, update, delete: remove };
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
