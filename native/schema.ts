import { DESCRIPTIONS } from "../resources/descriptions";
import { KUBESLICE_IPAM_TOKEN, MANIFEST_FILE_TOKEN, PACKAGE_NAME, SLICE_IPAM_TOKEN, SUBNET_ALLOCATION_TOKEN } from "./type-token";

/**
 * The native provider's Pulumi package schema: SliceIpam, SubnetAllocation
 * and ManifestFile, served by the dynamic provider's handlers, and the
 * KubeSliceIpam component (`construct`), for SDK generation (`pulumi package
 * add`) and for YAML programs. Each property's description is the one in
 * resources/descriptions.ts; this file gives only types and which properties
 * are required. The input names and types are those of the handlers' zod
 * shapes (provider/handlers/inputs.ts) and of COMPONENT_INPUTS (native/component.ts);
 * tests compare them.
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

type PropertyType = Omit<Property, "description">;

/** Each property of `types` with its text from `descriptions`, which must have one for each. */
function described<Name extends string>(
    types: Record<Name, PropertyType>,
    descriptions: { readonly [K in NoInfer<Name>]: string },
): Record<Name, Property> {
    return Object.fromEntries(
        Object.entries<PropertyType>(types).map(([name, type]) => [name, { ...type, description: descriptions[name as Name] }]),
    ) as Record<Name, Property>;
}

const STRING = { type: "string" };
const INTEGER = { type: "integer" };
const BOOLEAN = { type: "boolean" };
const STORE = { $ref: `#/types/${STORE_TYPE}` };
const POOL = {
    sliceSubnet: STRING,
    subnetSize: INTEGER,
    sliceSubnetIpv6: STRING,
    subnetSizeIpv6: INTEGER,
    gracePeriodSeconds: INTEGER,
    maxClusters: INTEGER,
};
const RESERVED = { reservedRanges: { type: "array", items: STRING }, acceptReservedOverlaps: BOOLEAN };

const sliceIpamInputs = described({ sliceName: STRING, ...POOL, ...RESERVED, store: STORE }, DESCRIPTIONS.SliceIpam.inputs);
const sliceIpamOutputs = described(
    { totalSubnets: INTEGER, availableSubnets: INTEGER, reservedSubnets: INTEGER, totalSubnetsExact: STRING, reservedSubnetsExact: STRING },
    DESCRIPTIONS.SliceIpam.outputs,
);

const allocationInputs = described(
    {
        sliceName: STRING,
        clusterName: STRING,
        requestedSubnet: STRING,
        requestedSubnetIsPlan: BOOLEAN,
        planMustHold: BOOLEAN,
        requestedSubnetIpv6: STRING,
        sliceSubnetIpv6: STRING,
        store: STORE,
    },
    DESCRIPTIONS.SubnetAllocation.inputs,
);
const allocationOutputs = described(
    { subnet: STRING, subnetIpv6: STRING, index: INTEGER, status: STRING, allocatedAt: STRING, reused: BOOLEAN },
    DESCRIPTIONS.SubnetAllocation.outputs,
);

const manifestFileProperties = described({ path: STRING, content: STRING, allowOutsideProject: BOOLEAN }, DESCRIPTIONS.ManifestFile.inputs);

/**
 * KubeSliceIpam's inputs: its COMPONENT_INPUTS. sliceName, namespace,
 * clusters, pinnedSubnets, pinnedSubnetsIpv6 and manifestsDirectory name
 * children or files (or plan them), so they must be plain values.
 */
const componentInputs = described(
    {
        sliceName: STRING,
        namespace: STRING,
        ...POOL,
        ...RESERVED,
        clusters: { type: "array", items: STRING },
        store: STORE,
        pinnedSubnets: { type: "object", additionalProperties: STRING },
        pinnedSubnetsIpv6: { type: "object", additionalProperties: STRING },
        planMustHold: BOOLEAN,
        workerSliceConfig: { $ref: "pulumi.json#/Any" },
        manifestsDirectory: STRING,
        manifestsOutsideProject: BOOLEAN,
    },
    DESCRIPTIONS.KubeSliceIpam.inputs,
);

const componentOutputs = described(
    {
        subnets: { type: "object", additionalProperties: STRING },
        subnetsIpv6: { type: "object", additionalProperties: STRING },
        totalSubnets: INTEGER,
        totalSubnetsExact: STRING,
        availableSubnets: INTEGER,
        utilization: { type: "number" },
    },
    DESCRIPTIONS.KubeSliceIpam.outputs,
);

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
                inputProperties: sliceIpamInputs,
                requiredInputs: ["sliceName", "sliceSubnet"],
                properties: { ...sliceIpamInputs, ...sliceIpamOutputs },
                required: ["sliceName", "sliceSubnet", "subnetSize", "gracePeriodSeconds", "maxClusters", "totalSubnets", "availableSubnets"],
            },
            [SUBNET_ALLOCATION_TOKEN]: {
                description:
                    "One cluster's subnet in a slice. Creating it allocates (or adopts the cluster's existing allocation); deleting it releases the subnet, which stays reserved for the cluster for the slice's grace period. Its id is <sliceName>/<clusterName>; `pulumi import` takes an allocation another stack made.",
                inputProperties: allocationInputs,
                requiredInputs: ["sliceName", "clusterName"],
                properties: { ...allocationInputs, ...allocationOutputs },
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
                required: ["subnets", "subnetsIpv6", "totalSubnets", "totalSubnetsExact", "availableSubnets", "utilization"],
            },
        },
    };
}
