import { PACKAGE_NAME, SLICE_IPAM_TOKEN, SUBNET_ALLOCATION_TOKEN } from "./type-token";

/**
 * The native provider's Pulumi package schema: the same two resources as the
 * dynamic provider, with the README's descriptions, for SDK generation
 * (`pulumi package add`) and for YAML programs. The input names and types
 * are those of the zod shapes in provider/inputs.ts (a test compares them).
 */
const STORE_TYPE = `${PACKAGE_NAME}:index:Store`;

type Property = { type?: string; $ref?: string; description: string; secret?: boolean; enum?: unknown; default?: unknown };

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
        },
    };
}
