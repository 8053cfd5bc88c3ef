import { KUBESLICE_IPAM_TOKEN, MANIFEST_FILE_TOKEN, PACKAGE_NAME, SLICE_IPAM_TOKEN, SUBNET_ALLOCATION_TOKEN } from "./type-token";

/**
 * The native provider's Pulumi package schema: the same two resources as the
 * dynamic provider, with the README's descriptions, for SDK generation
 * (`pulumi package add`) and for YAML programs. The input names and types
 * are those of the zod shapes in provider/inputs.ts (a test compares them).
 */
const STORE_TYPE = `${PACKAGE_NAME}:index:Store`;

type Property = {
    type?: string;
    $ref?: string;
    items?: { type: string };
    additionalProperties?: { type?: string; $ref?: string };
    description: string;
    secret?: boolean;
    enum?: unknown;
    default?: unknown;
};

const sliceSpecInputs: Record<string, Property> = {
    sliceName: { type: "string", description: "DNS-1123 label (1–63 of a-z, 0-9, -): the slice's name in KubeSlice. Immutable." },
    sliceSubnet: {
        type: "string",
        description:
            "IPv4 CIDR inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, prefix /8–/28, no host bits. Must not overlap another slice in the same store. Immutable.",
    },
    subnetSize: {
        type: "integer",
        description: "Prefix length of each cluster's subnet, 16–30, longer than the slice prefix. Default 24. Immutable.",
    },
    gracePeriodSeconds: {
        type: "integer",
        description: "How long a Released subnet stays reserved for its cluster (0 – 31,536,000). Default 86400. Updates in place.",
    },
    maxClusters: { type: "integer", description: "Most clusters holding a subnet at once (1–4096). Default 4096. Updates in place." },
};

const storeProperty: Property = {
    $ref: `#/types/${STORE_TYPE}`,
    description: "Where allocation state is kept. Omitted: the file store in .slice-ipam/ beside the Pulumi project.",
};

const allocationInputs: Record<string, Property> = {
    sliceName: {
        type: "string",
        description: "The slice; pass the SliceIpam's sliceName output so the slice exists first. Changing it replaces the allocation.",
    },
    clusterName: { type: "string", description: "DNS-1123 label. Changing it replaces the allocation." },
    requestedSubnet: {
        type: "string",
        description:
            "Take this subnet when the allocation is created, if it is free: must be a subnetSize block of the slice. A pin held by another cluster fails; changing it never moves an existing allocation.",
    },
    requestedSubnetIsPlan: {
        type: "boolean",
        description:
            "Marks requestedSubnet as a plan: held by another cluster, the allocation falls back to first-fit with a warning. Default false.",
    },
};

const allocationOutputs: Record<string, Property> = {
    subnet: { type: "string", description: "The cluster's subnet, e.g. 10.2.0.0/24." },
    index: { type: "integer", description: "Position of the subnet in the pool (0 = first block)." },
    status: { type: "string", description: "Allocated, InUse or Released." },
    allocatedAt: { type: "string", description: "ISO-8601 time the cluster first got this subnet." },
    reused: { type: "boolean", description: "True when a subnet the cluster had released was handed back." },
};

const manifestFileProperties: Record<string, Property> = {
    path: {
        type: "string",
        description: "The file's path; relative paths resolve against the Pulumi project directory. Changing it replaces the file.",
    },
    content: { type: "string", description: "The file's content, written on create and update." },
    allowOutsideProject: {
        type: "boolean",
        description: "Allow a path outside the Pulumi project directory (after resolving `..` and symbolic links); refused otherwise.",
    },
};

/**
 * KubeSliceIpam's inputs (native/component.ts COMPONENT_INPUTS; a
 * test compares them). sliceName, namespace, clusters, pinnedSubnets and
 * manifestsDirectory name children or files, so they must be plain values.
 */
const componentInputs: Record<string, Property> = {
    sliceName: {
        type: "string",
        description: "DNS-1123 label; must be known when the program runs (it names children). Immutable.",
    },
    namespace: { type: "string", description: "KubeSlice project namespace of the WorkerSliceConfigs, e.g. kubeslice-cisco." },
    sliceSubnet: sliceSpecInputs.sliceSubnet,
    subnetSize: sliceSpecInputs.subnetSize,
    gracePeriodSeconds: sliceSpecInputs.gracePeriodSeconds,
    maxClusters: sliceSpecInputs.maxClusters,
    clusters: {
        type: "array",
        items: { type: "string" },
        description:
            "Cluster names (DNS-1123 labels, no duplicates), known when the program runs. Each gets one SubnetAllocation <name>-<cluster>: reordering changes nothing, adding one creates exactly one allocation, removing one releases exactly that one.",
    },
    store: {
        $ref: `#/types/${STORE_TYPE}`,
        description: "Where allocation state is kept, as for the resources. Omitted: the file store in .slice-ipam/ beside the Pulumi project.",
    },
    pinnedSubnets: {
        type: "object",
        additionalProperties: { type: "string" },
        description:
            "Cluster → CIDR: subnets for clusters that hold none yet, e.g. how a static-IPAM slice's clusters keep their subnets. Each must be a subnetSize block of the slice held by no other cluster.",
    },
    workerSliceConfig: {
        $ref: "pulumi.json#/Any",
        description:
            "Extra WorkerSliceConfig spec fields for the rendered manifests: sliceType, sliceGatewayProvider, qosProfileDetails, namespaceIsolationProfile, externalGatewayConfig, overlayNetworkDeploymentMode.",
    },
    manifestsDirectory: {
        type: "string",
        description:
            "Also write each WorkerSliceConfig to <dir>/<slice>-<cluster>.yaml (relative to the project); the file is removed when the cluster leaves.",
    },
    manifestsOutsideProject: {
        type: "boolean",
        description:
            "Allow manifestsDirectory outside the Pulumi project (an absolute path or ..), e.g. a GitOps checkout beside it. Off by default.",
    },
};

const componentOutputs: Record<string, Property> = {
    subnets: { type: "object", additionalProperties: { type: "string" }, description: "Cluster → CIDR." },
    totalSubnets: { type: "integer", description: "2^(subnetSize − prefix)." },
    availableSubnets: {
        type: "integer",
        description:
            "Clusters that could still join, read from the store after this deployment's allocations (includes clusters other stacks hold in the slice).",
    },
    utilization: { type: "number", description: "Active subnets / total subnets, 0..1, read from the store after this deployment's allocations." },
};

export function packageSchema(version: string): Record<string, unknown> {
    return {
        name: PACKAGE_NAME,
        displayName: "KubeSlice IPAM",
        version,
        description: "Dynamic IP address management for KubeSlice slices: subnets handed out as clusters join, lowest free first.",
        keywords: ["kubeslice", "ipam", "kubernetes", "category/network", "kind/native"],
        license: "Apache-2.0",
        language: { nodejs: { packageName: `@kubeslice-ipam/sdk`, respectSchemaVersion: true } },
        types: {
            [STORE_TYPE]: {
                type: "object",
                description: 'Where allocation state lives: { kind: "file", directory } or { kind: "kubernetes", namespace, kubeconfig?, context? }.',
                properties: {
                    kind: { type: "string", description: "file or kubernetes." },
                    directory: { type: "string", description: "file store: the directory holding the ledgers (relative to the Pulumi project)." },
                    namespace: { type: "string", description: "Kubernetes store: the namespace of the SliceIpam objects." },
                    kubeconfig: {
                        type: "string",
                        secret: true,
                        description: "Kubernetes store: kubeconfig contents. Secret: stored encrypted in state.",
                    },
                    context: { type: "string", description: "Kubernetes store: a kubeconfig context name." },
                },
                required: ["kind"],
            },
        },
        resources: {
            [SLICE_IPAM_TOKEN]: {
                description:
                    "A slice's address pool, registered in the store. Its id is the slice name. Subnets are handed out by SubnetAllocations, only as clusters join.",
                inputProperties: { ...sliceSpecInputs, store: storeProperty },
                requiredInputs: ["sliceName", "sliceSubnet"],
                properties: {
                    ...sliceSpecInputs,
                    store: storeProperty,
                    totalSubnets: { type: "integer", description: "2^(subnetSize − prefix), e.g. 256 for a /16 of /24s." },
                    availableSubnets: {
                        type: "integer",
                        description: "Clusters that could still join: free subnets, capped by maxClusters; as of the last create, update or refresh.",
                    },
                },
                required: ["sliceName", "sliceSubnet", "subnetSize", "gracePeriodSeconds", "maxClusters", "totalSubnets", "availableSubnets"],
            },
            [SUBNET_ALLOCATION_TOKEN]: {
                description:
                    "One cluster's subnet in a slice. Creating it allocates (or adopts the cluster's existing allocation); deleting it releases the subnet, which stays reserved for the cluster for the slice's grace period. Its id is <sliceName>/<clusterName>; `pulumi import` takes an allocation another stack made.",
                inputProperties: { ...allocationInputs, store: storeProperty },
                requiredInputs: ["sliceName", "clusterName"],
                properties: { ...allocationInputs, store: storeProperty, ...allocationOutputs },
                required: ["sliceName", "clusterName", "subnet", "index", "status", "allocatedAt", "reused"],
            },
            [MANIFEST_FILE_TOKEN]: {
                description:
                    "A rendered manifest kept on disk for a GitOps repository: written on create and update, removed on delete. A file edited by hand shows as drift on refresh. KubeSliceIpam's manifestsDirectory makes one per cluster.",
                inputProperties: manifestFileProperties,
                requiredInputs: ["path", "content"],
                properties: manifestFileProperties,
                required: ["path", "content"],
            },
            [KUBESLICE_IPAM_TOKEN]: {
                isComponent: true,
                description:
                    "A KubeSlice slice with dynamic IPAM: one SliceIpam (named like the component) and one SubnetAllocation per cluster (<name>-<cluster>), all parented to it, the subnets planned in preview. Invalid names, duplicate clusters and pins for unknown clusters are reported together, before anything is created.",
                inputProperties: componentInputs,
                requiredInputs: ["sliceName", "namespace", "sliceSubnet", "clusters"],
                properties: componentOutputs,
                required: ["subnets", "totalSubnets", "availableSubnets", "utilization"],
            },
        },
    };
}
