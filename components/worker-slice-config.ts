import { stringify } from "yaml";

/**
 * WorkerSliceConfig manifests, shaped exactly as KubeSlice's CRD
 * (worker.kubeslice.io/v1alpha1, the Dynamic-IPAM schema of controller PR
 * #284) and labelled as the controller labels the ones it creates. Pure
 * functions: no Pulumi, no I/O.
 */
export const WORKER_SLICE_CONFIG_API_VERSION = "worker.kubeslice.io/v1alpha1";
export const WORKER_SLICE_CONFIG_KIND = "WorkerSliceConfig";

/** Optional parts of the WorkerSliceConfig spec, copied as given. */
export interface WorkerSliceConfigExtras {
    readonly sliceType?: string;
    readonly overlayNetworkDeploymentMode?: "single-network" | "multi-network" | "no-network";
    readonly sliceGatewayProvider?: {
        readonly sliceGatewayType?: string;
        readonly sliceCaType?: string;
        readonly sliceGatewayServiceType?: "NodePort" | "LoadBalancer";
        readonly sliceGatewayProtocol?: "TCP" | "UDP";
    };
    readonly qosProfileDetails?: {
        readonly queueType?: string;
        readonly priority?: number;
        readonly tcType?: string;
        readonly bandwidthCeilingKbps?: number;
        readonly bandwidthGuaranteedKbps?: number;
        readonly dscpClass?: string;
    };
    readonly namespaceIsolationProfile?: {
        readonly isolationEnabled?: boolean;
        readonly applicationNamespaces?: readonly string[];
        readonly allowedNamespaces?: readonly string[];
    };
    readonly externalGatewayConfig?: {
        readonly gatewayType?: "none" | "istio" | "envoy";
        readonly ingress?: { readonly enabled?: boolean };
        readonly egress?: { readonly enabled?: boolean };
        readonly nsIngress?: { readonly enabled?: boolean };
        readonly vpcServiceAccess?: {
            readonly ingress?: { readonly enabled?: boolean };
            readonly egress?: { readonly enabled?: boolean };
        };
    };
}

export interface WorkerSliceConfigParams {
    readonly sliceName: string;
    /** The KubeSlice project namespace, e.g. `kubeslice-cisco`. */
    readonly namespace: string;
    readonly sliceSubnet: string;
    readonly clusterName: string;
    /** The cluster's allocated subnet. */
    readonly subnet: string;
    /** The subnet's index in the slice's pool. */
    readonly index: number;
    /** A dual-stack slice's IPv6 pool and the cluster's IPv6 subnet (at the same index): annotations, as the CRD has no field. */
    readonly ipv6?: { readonly sliceSubnet: string; readonly subnet: string };
    readonly extras?: WorkerSliceConfigExtras;
}

/**
 * Where a dual-stack slice's IPv6 pool and a cluster's IPv6 subnet go: the
 * WorkerSliceConfig CRD has IPv4-shaped fields only (one `sliceSubnet`, one
 * `clusterSubnetCIDR`), and a field it does not declare would be pruned, so
 * they are annotations, which the schema allows on any object.
 */
export const ANNOTATION_SLICE_SUBNET_IPV6 = "ipam.kubeslice-ipam.io/slice-subnet-ipv6";
export const ANNOTATION_CLUSTER_SUBNET_IPV6 = "ipam.kubeslice-ipam.io/cluster-subnet-ipv6";

export interface WorkerSliceConfigManifest {
    readonly apiVersion: typeof WORKER_SLICE_CONFIG_API_VERSION;
    readonly kind: typeof WORKER_SLICE_CONFIG_KIND;
    readonly metadata: {
        readonly name: string;
        readonly namespace: string;
        readonly labels: Record<string, string>;
        readonly annotations?: Record<string, string>;
    };
    readonly spec: Record<string, unknown>;
}

/** The object name the controller gives a cluster's WorkerSliceConfig. */
export function workerSliceConfigName(sliceName: string, clusterName: string): string {
    return `${sliceName}-${clusterName}`;
}

/**
 * The labels kubeslice-controller puts on the WorkerSliceConfigs it creates,
 * so that the controller and the worker operator find ours the same way.
 */
export function controllerLabels(sliceName: string, namespace: string, clusterName: string): Record<string, string> {
    return {
        "kubeslice-controller-resource-name": `SliceConfig-${sliceName}`,
        "kubeslice-manager": "controller",
        "kubeslice-resource-owner": "controller",
        "original-slice-name": sliceName,
        "project-namespace": namespace,
        "worker-cluster": clusterName,
    };
}

/**
 * A cluster's WorkerSliceConfig. The guide writes the subnet into
 * `ipamClusterOctet`, but in the real schema that field is an integer and the
 * worker reads `clusterSubnetCIDR`, so the subnet goes there and its index
 * into `octet`. An IPv6 slice fills the same fields: the CRD's `sliceSubnet`
 * and `clusterSubnetCIDR` are plain strings and `octet` an int64, which holds
 * any index (indexes stay below 2^53), so the manifest stays exactly valid.
 * A dual-stack slice's spec is its IPv4 one; the IPv6 pool and subnet are
 * annotations ({@link ANNOTATION_CLUSTER_SUBNET_IPV6}).
 */
export function workerSliceConfig(params: WorkerSliceConfigParams): WorkerSliceConfigManifest {
    return {
        apiVersion: WORKER_SLICE_CONFIG_API_VERSION,
        kind: WORKER_SLICE_CONFIG_KIND,
        metadata: {
            name: workerSliceConfigName(params.sliceName, params.clusterName),
            namespace: params.namespace,
            labels: controllerLabels(params.sliceName, params.namespace, params.clusterName),
            ...(params.ipv6 === undefined
                ? {}
                : {
                      annotations: {
                          [ANNOTATION_SLICE_SUBNET_IPV6]: params.ipv6.sliceSubnet,
                          [ANNOTATION_CLUSTER_SUBNET_IPV6]: params.ipv6.subnet,
                      },
                  }),
        },
        spec: {
            ...withoutUndefined(params.extras ?? {}),
            sliceName: params.sliceName,
            sliceSubnet: params.sliceSubnet,
            sliceIpamType: "Dynamic",
            clusterSubnetCIDR: params.subnet,
            octet: params.index,
        },
    };
}

/**
 * YAML with every mapping's keys sorted, so the same manifest always renders
 * to the same bytes and pull-request diffs show only what changed.
 */
export function renderManifestYaml(manifest: WorkerSliceConfigManifest): string {
    return stringify(manifest, { sortMapEntries: true, lineWidth: 0 });
}

function withoutUndefined(value: object): Record<string, unknown> {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
