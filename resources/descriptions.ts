/**
 * The one text of every input and computed output of the package's resources
 * and of the KubeSliceIpam component. The native provider's schema takes its
 * descriptions from here (native/schema.ts), so every language's SDK shows
 * them; the doc comments of the TypeScript args interfaces and output
 * properties must say the same, word for word (test/resources/descriptions.test.ts).
 * Written for every language: no TypeScript-only links or syntax.
 */
export interface Descriptions {
    readonly inputs: Readonly<Record<string, string>>;
    /** The outputs the provider computes; an input's echo in the outputs keeps the input's text. */
    readonly outputs: Readonly<Record<string, string>>;
}

const STORE = "Where allocation state is kept. Omitted: the file store in `.slice-ipam/` beside the Pulumi project.";
const SLICE_STORE = "Where allocation state is kept: must be the slice's store. Omitted: the file store in `.slice-ipam/` beside the Pulumi project.";

/** The pool settings, the same for a SliceIpam and for the component that makes one. */
const POOL = {
    sliceSubnet:
        "Private CIDR the clusters' subnets come from, no host bits. IPv4, e.g. `10.1.0.0/16`: inside 10.0.0.0/8, 172.16.0.0/12 or " +
        "192.168.0.0/16, prefix /8–/28. IPv6, e.g. `fd00:10::/48`: inside fc00::/7 (unique local), prefix /8–/118, written as RFC 5952 " +
        "does (lower case, zeros compressed). Must not overlap another slice in the same store. Immutable.",
    subnetSize:
        "Prefix length of each cluster's subnet, longer than the slice prefix: 16–30 for IPv4 (default 24), 48–120 for IPv6 (e.g. 64). Immutable.",
    sliceSubnetIpv6:
        "A dual-stack slice's IPv6 pool, beside an IPv4 `sliceSubnet`, e.g. `fd00:10::/48`: inside fc00::/7 (unique local), prefix " +
        "/8–/118, written as RFC 5952 does. Each cluster gets the subnets at one index of both pools (cluster k: the k-th IPv4 and the " +
        "k-th IPv6 subnet). May be added once to an IPv4 slice, in place: its clusters keep their subnets and get their paired IPv6 " +
        "ones in the same update. Immutable once set.",
    subnetSizeIpv6:
        "Prefix length of each cluster's IPv6 subnet in a dual-stack slice, 48–120, longer than the `sliceSubnetIpv6` prefix " +
        "(e.g. 64). Required with `sliceSubnetIpv6`. Immutable once set.",
    gracePeriodSeconds:
        "How long a released subnet stays reserved for its cluster, in seconds (0–31,536,000). Default 86400 (24 h). Updates in place.",
    maxClusters: "Most clusters that may hold a subnet at once, 1–4096. Default 4096. Updates in place.",
    reservedRanges:
        "CIDRs kept out of allocation, e.g. a VPC's node, pod and service ranges (another stack's outputs work). Any subnet of the pool a range touches is never handed out; ranges outside the pool are accepted and ignored. Updates in place: removing a range frees nothing held; adding one over subnets clusters hold is refused at preview, naming them, unless `acceptReservedOverlaps`.",
    acceptReservedOverlaps:
        "Let a newly added reserved range cover subnets clusters hold (Allocated, InUse or Released): they keep them, `slice-ipam check` reports them, and nothing new is allocated there. Default false: such a change is refused.",
} as const;

const TOTAL_SUBNETS =
    "`2^(subnetSize − prefix)`, e.g. 256 for a /16 of /24s; in a dual-stack slice, the smaller pool's count (the indexes both " +
    "pools have). Past 2^53 (an IPv6 pool) a float64's nearest value: read `totalSubnetsExact`.";
const TOTAL_SUBNETS_EXACT = '`totalSubnets` as exact decimal text, e.g. `"72057594037927936"` for fd00::/8 of /64s.';

export const DESCRIPTIONS = {
    SliceIpam: {
        inputs: {
            sliceName: "DNS-1123 label (1–63 of a-z, 0-9, -): the slice's name in KubeSlice. Immutable.",
            ...POOL,
            store: STORE,
        },
        outputs: {
            totalSubnets: TOTAL_SUBNETS,
            availableSubnets: "Clusters that could still join: free subnets, capped by `maxClusters`; as of the last create, update or refresh.",
            reservedSubnets: "Subnets of the pool that the reserved ranges touch, held or not; never handed out anew.",
            totalSubnetsExact: TOTAL_SUBNETS_EXACT,
            reservedSubnetsExact: "`reservedSubnets` as exact decimal text, exact past 2^53 too.",
        },
    },
    SubnetAllocation: {
        inputs: {
            sliceName: "The slice; pass the SliceIpam's `sliceName` output so the slice is registered first. Changing it replaces the allocation.",
            clusterName: "DNS-1123 label of the cluster joining the slice. Changing it replaces the allocation.",
            requestedSubnet:
                "Take this subnet when the allocation is created, if it is free: a planned subnet (KubeSliceIpam passes one so previews " +
                "show it) or a pinned one (adopting a static-IPAM cluster's subnet). Must be a `subnetSize` block of the slice (a check " +
                "failure otherwise). Held by another cluster: a pin fails, a plan (`requestedSubnetIsPlan`) falls back to first-fit with " +
                "a warning. Changing it never moves an existing allocation.",
            requestedSubnetIsPlan:
                "Marks `requestedSubnet` as a plan rather than a pin: a planned subnet taken by another cluster falls back to first-fit " +
                "with a warning, where a taken pin fails (in check, or at create if taken in between). KubeSliceIpam sets it for the " +
                "subnets it plans. Default false.",
            planMustHold:
                "Make a planned `requestedSubnet` hold: if another cluster took it (or a reserved range covers it) after it was planned, the create fails, naming the holder and the subnet free now, instead of falling back to first-fit with a warning. Default false.",
            requestedSubnetIpv6:
                "In a dual-stack slice, an IPv6 subnet to take, as `requestedSubnet` is for the IPv4 pool (a pin, or a plan with " +
                "`requestedSubnetIsPlan`): a `subnetSizeIpv6` block of the IPv6 pool. Given with `requestedSubnet`, both must name " +
                "the same index (a check failure otherwise).",
            sliceSubnetIpv6:
                "The slice's IPv6 pool: pass the SliceIpam's `sliceSubnetIpv6` output, so that when the pool is added to an IPv4 " +
                "slice the allocation updates in place (its subnet unchanged) and reports its `subnetIpv6` in the same update.",
            store: SLICE_STORE,
        },
        outputs: {
            subnet: "The cluster's subnet, e.g. `10.1.0.0/24`.",
            subnetIpv6: "In a dual-stack slice, the cluster's IPv6 subnet at the same index as `subnet`, e.g. `fd00:10::/64`; absent otherwise.",
            index: "Position of the subnet in the slice's pool (0 = first block).",
            status: "`Allocated`, `InUse` or `Released`.",
            allocatedAt: "When the subnet was first allocated to this cluster (ISO-8601).",
            reused: "True when a subnet the cluster had released was handed back.",
        },
    },
    SubnetUsage: {
        inputs: {
            sliceName: "The slice the cluster's allocation is in.",
            clusterName: "The cluster whose WorkerSliceConfig reports the usage.",
            workerSliceConfig: "The WorkerSliceConfig whose status is passed, for messages.",
            workerSliceConfigStatus: "That WorkerSliceConfig's `status`, as the Kubernetes provider last read it.",
            store: SLICE_STORE,
        },
        outputs: {
            allocationStatus: "The allocation's status after recording: `Allocated`, `InUse` or `Released`.",
            connectedPods: "Connected app pods the status names (entries without a pod name are not counted).",
        },
    },
    ManifestFile: {
        inputs: {
            path: "The file's path; relative paths resolve against the Pulumi project directory. Changing it replaces the file.",
            content: "The file's content, written on create and update.",
            allowOutsideProject: "Allow a path outside the Pulumi project directory (after resolving `..` and symbolic links); refused otherwise.",
        },
        outputs: {},
    },
    KubeSliceIpam: {
        inputs: {
            sliceName: "DNS-1123 label, the slice's name; it names child resources, so it must be known when the program runs. Immutable.",
            namespace: "The KubeSlice project namespace the WorkerSliceConfigs go to, e.g. `kubeslice-cisco`.",
            ...POOL,
            clusters:
                "Cluster names (DNS-1123 labels, no duplicates), known when the program runs. Each gets one SubnetAllocation " +
                "`<name>-<cluster>` keyed by its name: reordering changes nothing, adding one creates exactly one allocation, " +
                "removing one releases exactly that one.",
            store:
                "Where allocation state is kept, as for the resources. Omitted: the file store in `.slice-ipam/` beside the Pulumi " +
                "project. May be a secret or another resource's output, e.g. a Kubernetes store whose kubeconfig is a secret config value.",
            pinnedSubnets:
                "Cluster → CIDR: subnets for clusters that hold none yet, e.g. how a static-IPAM slice's clusters keep their subnets. " +
                "Each must be a `subnetSize` block of the slice held by no other cluster, outside the reserved ranges.",
            pinnedSubnetsIpv6:
                "Cluster → IPv6 CIDR, in a dual-stack slice: pins in the IPv6 pool, as `pinnedSubnets` are in the IPv4 one. A " +
                "cluster pinned in both must be pinned to the subnets of one index (a failure names the index each pin names).",
            planMustHold:
                "Make the planned subnets hold: a cluster whose planned subnet another stack takes between planning and its allocation fails the `up`, naming the holder and the subnet free now, instead of falling back to first-fit with a warning. Default false.",
            workerSliceConfig:
                "Extra WorkerSliceConfig spec fields for the rendered manifests: sliceType, sliceGatewayProvider, qosProfileDetails, " +
                "namespaceIsolationProfile, externalGatewayConfig, overlayNetworkDeploymentMode.",
            kubernetesProvider:
                "Apply the WorkerSliceConfigs to this cluster as custom resources. Their status (connected app pods, as last read: " +
                "`pulumi up --refresh`) then moves each allocation Allocated → InUse through a SubnetUsage child.",
            deletionPropagation:
                "How the applied WorkerSliceConfigs are deleted (pulumi-kubernetes' `pulumi.com/deletionPropagationPolicy`). Default " +
                '`"background"`, what `kubectl delete` does: nothing depends on a WorkerSliceConfig, and `"foreground"` ' +
                "(pulumi-kubernetes' own default) waits for the cluster's garbage collector to clear its `foregroundDeletion` " +
                'finalizer, which hangs a destroy where none runs. `"orphan"` keeps dependents.',
            manifestsDirectory:
                "Also write each WorkerSliceConfig as `<directory>/<slice>-<cluster>.yaml` (relative to the Pulumi project), for a " +
                "GitOps repository; the file is removed when the cluster leaves.",
            manifestsOutsideProject:
                "Allow `manifestsDirectory` outside the Pulumi project (an absolute path or `..`), e.g. a GitOps checkout beside it. " +
                "Off by default, so that a mistyped path never writes or removes files elsewhere (docs/component.md, Manifest files).",
        },
        outputs: {
            subnets: 'Cluster → subnet, e.g. `{ "worker-1": "10.1.0.0/24" }`.',
            subnetsIpv6: 'Cluster → IPv6 subnet in a dual-stack slice, e.g. `{ "worker-1": "fd00:10::/64" }`; empty otherwise.',
            totalSubnets: TOTAL_SUBNETS,
            totalSubnetsExact: TOTAL_SUBNETS_EXACT,
            availableSubnets:
                "Clusters that could still join, read from the store after this deployment's allocations (includes clusters other " +
                "stacks hold in the slice).",
            utilization:
                "Active subnets / usable subnets (the pool less the reserved subnets nobody holds), 0..1, read from the store after " +
                "this deployment's allocations.",
        },
    },
} as const satisfies Record<string, Descriptions>;
