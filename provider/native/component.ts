import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { KubeSliceIpam } from "../../components/kubeslice-ipam";
import type { KubeSliceIpamArgs } from "../../components/kubeslice-ipam-args";
import { NATIVE_CHILDREN } from "./resources";

/**
 * The inputs that name child resources or files: the component needs them
 * when it builds its resource graph, so they cannot wait for another
 * resource's output.
 */
const KNOWN_WHEN_CONSTRUCTED = ["sliceName", "namespace", "clusters", "pinnedSubnets", "manifestsDirectory"] as const;

/**
 * The component's arguments that cross a language boundary (the schema's
 * input properties). Left out: `kubernetesProvider` and the
 * `deletionPropagation` that goes with it (README: The component from other
 * languages).
 */
export const COMPONENT_INPUTS = [
    "sliceName",
    "namespace",
    "sliceSubnet",
    "subnetSize",
    "gracePeriodSeconds",
    "maxClusters",
    "clusters",
    "store",
    "pinnedSubnets",
    "workerSliceConfig",
    "manifestsDirectory",
] as const satisfies readonly (keyof KubeSliceIpamArgs)[];

function containsOutput(value: unknown): boolean {
    if (pulumi.Output.isInstance(value)) return true;
    if (Array.isArray(value)) return value.some(containsOutput);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsOutput);
    return false;
}

/**
 * `construct` for `kubeslice-ipam:index:KubeSliceIpam`: the TypeScript
 * component itself, with the native provider's resources as its children.
 * It validates (every problem at once, naming the slice and clusters) and
 * plans exactly as it does in a TypeScript program. Registered outputs are
 * the component's: subnets, totalSubnets, availableSubnets, utilization.
 */
export async function constructKubeSliceIpam(
    name: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
    const pending = KNOWN_WHEN_CONSTRUCTED.filter((field) => containsOutput(inputs[field]));
    if (pending.length > 0) {
        throw new Error(
            `KubeSliceIpam "${name}": ${pending.join(", ")} must be known when the program runs (a literal or a plain config value, ` +
                `not a secret or another resource's output): they name the component's child resources and files`,
        );
    }
    const args = Object.fromEntries(COMPONENT_INPUTS.filter((field) => inputs[field] !== undefined).map((field) => [field, inputs[field]]));
    const component = new KubeSliceIpam(name, args as unknown as KubeSliceIpamArgs, options, NATIVE_CHILDREN);
    return {
        urn: component.urn,
        state: {
            subnets: component.subnets,
            totalSubnets: component.totalSubnets,
            availableSubnets: component.availableSubnets,
            utilization: component.utilization,
        },
    };
}
