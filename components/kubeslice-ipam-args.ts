import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { KubesliceIpamError } from "../provider/core/kubeslice-ipam-error";
import type { AllocationStatus } from "../provider/core/ledger";
import { checkIpv6Pool, checkSubnetSizeFitsSlice, dnsLabelMessage, isDnsLabel, sliceSpecShape } from "../provider/core/validation";
import type { StoreInput } from "../resources/store-input";
import type { WorkerSliceConfigExtras } from "./worker-slice-config";

export interface KubeSliceIpamArgs {
    /**
     * DNS-1123 label, the slice's name; it names child resources, so it must be known when the program runs.
     * Immutable.
     */
    readonly sliceName: string;
    /** The KubeSlice project namespace the WorkerSliceConfigs go to, e.g. `kubeslice-cisco`. */
    readonly namespace: string;
    /**
     * Private CIDR the clusters' subnets come from, no host bits. IPv4, e.g. `10.1.0.0/16`: inside 10.0.0.0/8,
     * 172.16.0.0/12 or 192.168.0.0/16, prefix /8–/28. IPv6, e.g. `fd00:10::/48`: inside fc00::/7 (unique local), prefix
     * /8–/118, written as RFC 5952 does (lower case, zeros compressed). Must not overlap another slice in the same store.
     * Immutable.
     */
    readonly sliceSubnet: pulumi.Input<string>;
    /**
     * Prefix length of each cluster's subnet, longer than the slice prefix: 16–30 for IPv4 (default 24), 48–120 for IPv6
     * (e.g. 64). Immutable.
     */
    readonly subnetSize?: pulumi.Input<number>;
    /**
     * A dual-stack slice's IPv6 pool, beside an IPv4 `sliceSubnet`, e.g. `fd00:10::/48`: inside fc00::/7 (unique
     * local), prefix /8–/118, written as RFC 5952 does. Each cluster gets the subnets at one index of both pools
     * (cluster k: the k-th IPv4 and the k-th IPv6 subnet). May be added once to an IPv4 slice, in place: its clusters
     * keep their subnets and get their paired IPv6 ones in the same update. Immutable once set.
     */
    readonly sliceSubnetIpv6?: pulumi.Input<string>;
    /**
     * Prefix length of each cluster's IPv6 subnet in a dual-stack slice, 48–120, longer than the `sliceSubnetIpv6`
     * prefix (e.g. 64). Required with `sliceSubnetIpv6`. Immutable once set.
     */
    readonly subnetSizeIpv6?: pulumi.Input<number>;
    /**
     * How long a released subnet stays reserved for its cluster, in seconds (0–31,536,000). Default 86400 (24 h).
     * Updates in place.
     */
    readonly gracePeriodSeconds?: pulumi.Input<number>;
    /** Most clusters that may hold a subnet at once, 1–4096. Default 4096. Updates in place. */
    readonly maxClusters?: pulumi.Input<number>;
    /**
     * CIDRs kept out of allocation, e.g. a VPC's node, pod and service ranges (another stack's outputs work). Any
     * subnet of the pool a range touches is never handed out; ranges outside the pool are accepted and ignored.
     * Updates in place: removing a range frees nothing held; adding one over subnets clusters hold is refused at
     * preview, naming them, unless `acceptReservedOverlaps`.
     */
    readonly reservedRanges?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Let a newly added reserved range cover subnets clusters hold (Allocated, InUse or Released): they keep them,
     * `slice-ipam check` reports them, and nothing new is allocated there. Default false: such a change is refused.
     */
    readonly acceptReservedOverlaps?: pulumi.Input<boolean>;
    /**
     * Cluster names (DNS-1123 labels, no duplicates), known when the program runs. Each gets one SubnetAllocation
     * `<name>-<cluster>` keyed by its name: reordering changes nothing, adding one creates exactly one allocation,
     * removing one releases exactly that one.
     */
    readonly clusters: readonly string[];
    /**
     * Where allocation state is kept, as for the resources. Omitted: the file store in `.slice-ipam/` beside the
     * Pulumi project. May be a secret or another resource's output, e.g. a Kubernetes store whose kubeconfig is a
     * secret config value.
     */
    readonly store?: pulumi.Input<StoreInput>;
    /**
     * Cluster → CIDR: subnets for clusters that hold none yet, e.g. how a static-IPAM slice's clusters keep their
     * subnets. Each must be a `subnetSize` block of the slice held by no other cluster, outside the reserved ranges.
     */
    readonly pinnedSubnets?: Readonly<Record<string, string>>;
    /**
     * Cluster → IPv6 CIDR, in a dual-stack slice: pins in the IPv6 pool, as `pinnedSubnets` are in the IPv4 one. A
     * cluster pinned in both must be pinned to the subnets of one index (a failure names the index each pin names).
     */
    readonly pinnedSubnetsIpv6?: Readonly<Record<string, string>>;
    /**
     * Make the planned subnets hold: a cluster whose planned subnet another stack takes between planning and its
     * allocation fails the `up`, naming the holder and the subnet free now, instead of falling back to first-fit with
     * a warning. Default false.
     */
    readonly planMustHold?: boolean;
    /**
     * Extra WorkerSliceConfig spec fields for the rendered manifests: sliceType, sliceGatewayProvider,
     * qosProfileDetails, namespaceIsolationProfile, externalGatewayConfig, overlayNetworkDeploymentMode.
     */
    readonly workerSliceConfig?: pulumi.Input<WorkerSliceConfigExtras>;
    /**
     * Apply the WorkerSliceConfigs to this cluster as custom resources. Their status (connected app pods, as last
     * read: `pulumi up --refresh`) then moves each allocation Allocated → InUse through a SubnetUsage child.
     */
    readonly kubernetesProvider?: k8s.Provider;
    /**
     * How the applied WorkerSliceConfigs are deleted (pulumi-kubernetes' `pulumi.com/deletionPropagationPolicy`).
     * Default `"background"`, what `kubectl delete` does: nothing depends on a WorkerSliceConfig, and `"foreground"`
     * (pulumi-kubernetes' own default) waits for the cluster's garbage collector to clear its `foregroundDeletion`
     * finalizer, which hangs a destroy where none runs. `"orphan"` keeps dependents.
     */
    readonly deletionPropagation?: DeletionPropagation;
    /**
     * Also write each WorkerSliceConfig as `<directory>/<slice>-<cluster>.yaml` (relative to the Pulumi project),
     * for a GitOps repository; the file is removed when the cluster leaves.
     */
    readonly manifestsDirectory?: string;
    /**
     * Allow `manifestsDirectory` outside the Pulumi project (an absolute path or `..`), e.g. a GitOps checkout
     * beside it. Off by default, so that a mistyped path never writes or removes files elsewhere (docs/component.md,
     * Manifest files).
     */
    readonly manifestsOutsideProject?: boolean;
}

export const DELETION_PROPAGATIONS = ["background", "foreground", "orphan"] as const;
export type DeletionPropagation = (typeof DELETION_PROPAGATIONS)[number];

/** One cluster's allocation as the component reports it. */
export interface ClusterAllocation {
    readonly subnet: string;
    /** In a dual-stack slice, the IPv6 subnet at the same index. */
    readonly subnetIpv6?: string;
    readonly index: number;
    readonly status: AllocationStatus;
    readonly allocatedAt: string;
    readonly reused: boolean;
}

/**
 * Checks what must be known to build the resource graph, reporting every
 * problem at once. Pool settings are checked by the SliceIpam itself.
 * Internal. Exported for testing.
 */
export function validateKubeSliceIpamArgs(name: string, args: KubeSliceIpamArgs): void {
    const problems: string[] = [];
    const label = (field: string, value: unknown) => {
        if (typeof value !== "string" || !isDnsLabel(value)) {
            problems.push(dnsLabelMessage(field, value));
        }
    };
    label("sliceName", args.sliceName);
    label("namespace", args.namespace);
    if (!Array.isArray(args.clusters)) {
        problems.push("clusters must be a list of cluster names known when the program runs");
    } else {
        const seen = new Set<string>();
        for (const cluster of args.clusters) {
            label("cluster", cluster);
            if (seen.has(cluster)) {
                problems.push(`cluster "${cluster}" is listed more than once; each cluster joins a slice once`);
            }
            seen.add(cluster);
        }
    }
    for (const field of ["pinnedSubnets", "pinnedSubnetsIpv6"] as const) {
        for (const cluster of Object.keys(args[field] ?? {})) {
            if (!args.clusters?.includes(cluster)) {
                problems.push(`${field} names cluster "${cluster}", which is not in clusters`);
            }
        }
    }
    if (args.pinnedSubnetsIpv6 !== undefined && Object.keys(args.pinnedSubnetsIpv6).length > 0 && args.sliceSubnetIpv6 === undefined) {
        problems.push("pinnedSubnetsIpv6 pins IPv6 subnets, but the slice has no sliceSubnetIpv6 (IPv6 pool); add one, or pin in pinnedSubnets");
    }
    problems.push(...sliceSettingProblems(args));
    if (args.planMustHold !== undefined && typeof args.planMustHold !== "boolean") {
        problems.push(`planMustHold must be true or false, not ${JSON.stringify(args.planMustHold)}`);
    }
    if (args.manifestsOutsideProject !== undefined && typeof args.manifestsOutsideProject !== "boolean") {
        problems.push(`manifestsOutsideProject must be true or false, not ${JSON.stringify(args.manifestsOutsideProject)}`);
    }
    if (args.deletionPropagation !== undefined && !DELETION_PROPAGATIONS.includes(args.deletionPropagation)) {
        problems.push(
            `deletionPropagation ${JSON.stringify(args.deletionPropagation)} must be one of ${DELETION_PROPAGATIONS.map((p) => `"${p}"`).join(", ")}`,
        );
    }
    if (problems.length > 0) {
        throw new KubesliceIpamError(
            "invalid-inputs",
            `KubeSliceIpam "${name}" has invalid arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
    }
}

const SLICE_SETTINGS = ["sliceSubnet", "subnetSize", "sliceSubnetIpv6", "subnetSizeIpv6", "gracePeriodSeconds", "maxClusters"] as const;

/**
 * The slice settings known now (plain values, not Outputs), checked by the
 * rules the child SliceIpam's `check` applies: every invalid argument is
 * reported together, by the component, before any child is registered.
 * Settings that are Outputs are left to that check.
 */
function sliceSettingProblems(args: KubeSliceIpamArgs): string[] {
    const known = (value: unknown) => typeof value !== "object" || value === null;
    const problems: string[] = [];
    for (const field of SLICE_SETTINGS) {
        const value: unknown = args[field];
        if ((value === undefined && field !== "sliceSubnet") || !known(value)) continue;
        const parsed = sliceSpecShape[field].safeParse(value);
        if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issue.message));
    }
    if (typeof args.sliceSubnet === "string" && typeof args.subnetSize === "number") {
        const issue = checkSubnetSizeFitsSlice(args.sliceSubnet, args.subnetSize);
        if (issue !== undefined) problems.push(issue.message);
    }
    // The IPv6 pool's rules across properties, once each value is valid on its own (else reported above).
    const ownValid = (field: "sliceSubnetIpv6" | "subnetSizeIpv6") =>
        args[field] === undefined || sliceSpecShape[field].safeParse(args[field]).success;
    if (
        typeof args.sliceSubnet === "string" &&
        [args.sliceSubnetIpv6, args.subnetSizeIpv6].every(known) &&
        ownValid("sliceSubnetIpv6") &&
        ownValid("subnetSizeIpv6")
    ) {
        const settings = {
            sliceSubnet: args.sliceSubnet,
            sliceSubnetIpv6: args.sliceSubnetIpv6 as string | undefined,
            subnetSizeIpv6: args.subnetSizeIpv6 as number | undefined,
        };
        problems.push(...checkIpv6Pool(settings).map((issue) => issue.message));
    }
    // A list of plain strings is known now; one holding an Output (another stack's) is left to the SliceIpam's check.
    const ranges: unknown = args.reservedRanges;
    if (Array.isArray(ranges) && ranges.every(known)) {
        const parsed = sliceSpecShape.reservedRanges.safeParse(ranges);
        if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issue.message));
    } else if (ranges !== undefined && known(ranges)) {
        problems.push(`reservedRanges must be a list of CIDR strings such as ["10.1.0.0/24"], not ${JSON.stringify(ranges)}`);
    }
    return problems;
}
