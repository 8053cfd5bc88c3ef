import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { KubeSliceIpam, planSlice } from "../components/kubeslice-ipam";
import { KubeSliceIpamArgs, validateKubeSliceIpamArgs } from "../components/kubeslice-ipam-args";
import { KubesliceIpamError } from "../provider/core/kubeslice-ipam-error";
import { DEFAULT_SUBNET_SIZE } from "../provider/core/validation";
import type { StoreInput } from "../resources/store-input";
import { NATIVE_CHILDREN } from "./resources";

/**
 * The inputs that name child resources or files: the component needs them
 * when it builds its resource graph, so they cannot wait for another
 * resource's output.
 */
const KNOWN_WHEN_CONSTRUCTED = [
    "sliceName",
    "namespace",
    "clusters",
    "pinnedSubnets",
    "pinnedSubnetsIpv6",
    "manifestsDirectory",
    "manifestsOutsideProject",
] as const;

/**
 * The component's arguments that cross a language boundary (the schema's
 * input properties). Left out: `kubernetesProvider` and the
 * `deletionPropagation` that goes with it (docs/languages.md: The component from
 * other languages).
 */
export const COMPONENT_INPUTS = [
    "sliceName",
    "namespace",
    "sliceSubnet",
    "subnetSize",
    "sliceSubnetIpv6",
    "subnetSizeIpv6",
    "gracePeriodSeconds",
    "maxClusters",
    "reservedRanges",
    "acceptReservedOverlaps",
    "clusters",
    "store",
    "pinnedSubnets",
    "pinnedSubnetsIpv6",
    "planMustHold",
    "workerSliceConfig",
    "manifestsDirectory",
    "manifestsOutsideProject",
] as const satisfies readonly (keyof KubeSliceIpamArgs)[];

/** The component's registered outputs, as `construct` answers them. */
export const COMPONENT_OUTPUTS = ["subnets", "subnetsIpv6", "totalSubnets", "totalSubnetsExact", "availableSubnets", "utilization"] as const;

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
 * the component's: subnets, subnetsIpv6, totalSubnets, totalSubnetsExact, availableSubnets, utilization.
 */
export async function constructKubeSliceIpam(
    name: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
    const pending = KNOWN_WHEN_CONSTRUCTED.filter((field) => containsOutput(inputs[field]));
    if (pending.length > 0) {
        throw new KubesliceIpamError(
            "invalid-inputs",
            `KubeSliceIpam "${name}": ${pending.join(", ")} must be known when the program runs (a literal or a plain config value, ` +
                `not a secret or another resource's output): they name the component's child resources and files`,
        );
    }
    const args = Object.fromEntries(
        COMPONENT_INPUTS.filter((field) => inputs[field] !== undefined).map((field) => [field, inputs[field]]),
    ) as unknown as KubeSliceIpamArgs;
    await refuseUnplaceableClusters(name, args);
    const component = new KubeSliceIpam(name, args, options, NATIVE_CHILDREN);
    return {
        urn: component.urn,
        state: {
            subnets: component.subnets,
            subnetsIpv6: component.subnetsIpv6,
            totalSubnets: component.totalSubnets,
            totalSubnetsExact: component.totalSubnetsExact,
            availableSubnets: component.availableSubnets,
            utilization: component.utilization,
        },
    };
}

/**
 * The component's own plan, made once before it is built when the pool and
 * the store are plain values: a plan the store cannot satisfy (a pin another
 * cluster holds, a full pool) is then the construct's own error, at once.
 * Left to the component, it would surface while the SDK's provider server
 * serializes the outputs, behind a chain of `error serializing property …`
 * and only after a long wait. With an Output among them (a secret kubeconfig), the
 * component's planning reports it as in a TypeScript program.
 */
async function refuseUnplaceableClusters(name: string, args: KubeSliceIpamArgs): Promise<void> {
    if (
        [args.sliceSubnet, args.subnetSize, args.sliceSubnetIpv6, args.subnetSizeIpv6, args.maxClusters, args.reservedRanges, args.store].some(
            containsOutput,
        )
    ) {
        return;
    }
    validateKubeSliceIpamArgs(name, args); // the planner needs a valid cluster list; the same check the component makes
    await planSlice(name, {
        sliceName: args.sliceName,
        sliceSubnet: args.sliceSubnet as string,
        subnetSize: (args.subnetSize as number | undefined) ?? DEFAULT_SUBNET_SIZE,
        sliceSubnetIpv6: args.sliceSubnetIpv6 as string | undefined,
        subnetSizeIpv6: args.subnetSizeIpv6 as number | undefined,
        maxClusters: args.maxClusters as number | undefined,
        reservedRanges: args.reservedRanges as string[] | undefined,
        clusters: args.clusters,
        pins: args.pinnedSubnets,
        pinsIpv6: args.pinnedSubnetsIpv6,
        store: args.store as StoreInput | undefined,
    });
}
