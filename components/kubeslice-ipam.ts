import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { capacity, Capacity, poolOf } from "../provider/core/ledger";
import { PlannedSubnet, planAllocations, projectedCapacity } from "../provider/core/plan";
import { checkSliceSubnet, DEFAULT_MAX_CLUSTERS, DEFAULT_SUBNET_SIZE, isDnsLabel, MAX_CLUSTERS_RANGE } from "../provider/core/validation";
import { SliceIpam, StoreInput } from "../provider/slice-ipam";
import { openStore } from "../provider/store/store-spec";
import { loadSliceToPlan } from "../provider/service/slices";
import { SubnetAllocation } from "../provider/subnet-allocation";
import { ManifestFile } from "./manifest-file";
import {
    renderManifestYaml,
    WORKER_SLICE_CONFIG_API_VERSION,
    WORKER_SLICE_CONFIG_KIND,
    workerSliceConfig,
    WorkerSliceConfigExtras,
    WorkerSliceConfigManifest,
    workerSliceConfigName,
} from "./worker-slice-config";

export interface KubeSliceIpamArgs {
    /** The slice's name; names child resources, so it must be known when the program runs. Immutable. */
    readonly sliceName: string;
    /** The KubeSlice project namespace the WorkerSliceConfigs go to, e.g. `kubeslice-cisco`. */
    readonly namespace: string;
    /** Private IPv4 CIDR the clusters' subnets come from. Immutable. */
    readonly sliceSubnet: pulumi.Input<string>;
    /** Prefix length of each cluster's subnet. Default 24. Immutable. */
    readonly subnetSize?: pulumi.Input<number>;
    /** How long a released subnet stays reserved for its cluster. Default 86400. */
    readonly gracePeriodSeconds?: pulumi.Input<number>;
    /** Most clusters holding a subnet at once. Default 4096. */
    readonly maxClusters?: pulumi.Input<number>;
    /**
     * The clusters in the slice. Each gets one SubnetAllocation keyed by its
     * name, so reordering changes nothing and removing one releases only it.
     */
    readonly clusters: readonly string[];
    /**
     * Where allocation state lives. Default: the file store in `.slice-ipam/`.
     * May be an Output, e.g. `{ kind: "kubernetes", namespace, kubeconfig: config.requireSecret("kubeconfig") }`.
     */
    readonly store?: pulumi.Input<StoreInput>;
    /**
     * Subnets to give clusters that hold none yet, by cluster name: how the
     * clusters of an existing static-IPAM slice keep their subnets. Each must
     * be a `subnetSize` block of the slice held by no other cluster.
     */
    readonly pinnedSubnets?: Readonly<Record<string, string>>;
    /** Extra WorkerSliceConfig spec fields (sliceType, sliceGatewayProvider, qosProfileDetails, …). */
    readonly workerSliceConfig?: pulumi.Input<WorkerSliceConfigExtras>;
    /** Apply the WorkerSliceConfigs to this cluster as custom resources. */
    readonly kubernetesProvider?: k8s.Provider;
    /**
     * How the applied WorkerSliceConfigs are deleted (pulumi-kubernetes'
     * `pulumi.com/deletionPropagationPolicy`). Default `"background"`, what
     * `kubectl delete` does: nothing depends on a WorkerSliceConfig, and
     * `"foreground"` (pulumi-kubernetes' own default) waits for the cluster's
     * garbage collector to clear its `foregroundDeletion` finalizer, which
     * hangs a destroy where none runs. `"orphan"` keeps dependents.
     */
    readonly deletionPropagation?: DeletionPropagation;
    /**
     * Also write each WorkerSliceConfig as `<directory>/<slice>-<cluster>.yaml`
     * (relative to the Pulumi project), for a GitOps repository.
     */
    readonly manifestsDirectory?: string;
}

export const DELETION_PROPAGATIONS = ["background", "foreground", "orphan"] as const;
export type DeletionPropagation = (typeof DELETION_PROPAGATIONS)[number];
const DELETION_PROPAGATION_ANNOTATION = "pulumi.com/deletionPropagationPolicy";

/** One cluster's allocation as the component reports it. */
export interface ClusterAllocation {
    readonly subnet: string;
    readonly index: number;
    readonly status: string;
    readonly allocatedAt: string;
    readonly reused: boolean;
}

/**
 * A KubeSlice slice with dynamic IPAM: its pool (SliceIpam), one
 * SubnetAllocation per cluster, and each cluster's WorkerSliceConfig —
 * rendered as YAML (outputs and, optionally, files) or applied to a cluster.
 */
export class KubeSliceIpam extends pulumi.ComponentResource {
    readonly slice: SliceIpam;
    /** The SubnetAllocation of each cluster, by cluster name. */
    readonly clusterAllocations: Readonly<Record<string, SubnetAllocation>>;
    /** With a Kubernetes provider: each cluster's applied WorkerSliceConfig. */
    readonly workerSliceConfigs: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
    /** With a manifests directory: each cluster's manifest file. */
    readonly manifestFiles: Readonly<Record<string, ManifestFile>>;
    /** Cluster → subnet, e.g. `{ "worker-1": "10.1.0.0/24" }`. */
    readonly subnets: pulumi.Output<Record<string, string>>;
    /** Cluster → full allocation entry. */
    readonly allocations: pulumi.Output<Record<string, ClusterAllocation>>;
    readonly totalSubnets: pulumi.Output<number>;
    /** Clusters that could still join, read from the store after this deployment's allocations. */
    readonly availableSubnets: pulumi.Output<number>;
    /** Active subnets / total subnets, 0..1. */
    readonly utilization: pulumi.Output<number>;

    private readonly renderManifests: () => pulumi.Output<Record<string, string>>;
    private renderedManifests?: pulumi.Output<Record<string, string>>;

    /**
     * Cluster → WorkerSliceConfig YAML (keys sorted, stable). Rendered on first
     * use and not registered as the component's output: export it to keep it
     * in the stack, or write files with `manifestsDirectory`.
     */
    get manifests(): pulumi.Output<Record<string, string>> {
        return (this.renderedManifests ??= this.renderManifests());
    }

    constructor(name: string, args: KubeSliceIpamArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kubeslice-ipam:index:KubeSliceIpam", name, {}, opts);
        assertValidArgs(name, args);
        const clusters = [...args.clusters].sort();
        const { sliceName, namespace, store } = args;

        this.slice = new SliceIpam(
            name,
            {
                sliceName,
                sliceSubnet: args.sliceSubnet,
                subnetSize: args.subnetSize,
                gracePeriodSeconds: args.gracePeriodSeconds,
                maxClusters: args.maxClusters,
                store,
            },
            { parent: this },
        );

        // Decided now, read-only, so that a preview shows each joining cluster's
        // subnet and creates running in any order produce exactly this plan.
        // Subnets are not secret even when the store's kubeconfig is: keep them visible in previews.
        const planning = pulumi.unsecret(
            pulumi
                .all([
                    args.sliceSubnet,
                    args.subnetSize ?? DEFAULT_SUBNET_SIZE,
                    args.maxClusters ?? DEFAULT_MAX_CLUSTERS,
                    pulumi.output(store),
                ])
                .apply(([sliceSubnet, subnetSize, maxClusters, storeSpec]) =>
                    planSlice(name, {
                        sliceName,
                        sliceSubnet,
                        subnetSize,
                        maxClusters,
                        clusters: args.clusters,
                        pins: args.pinnedSubnets,
                        store: storeSpec as StoreInput | undefined,
                    }),
                ),
        );
        const plan = planning.apply((p) => p.plan);
        const dryRun = pulumi.runtime.isDryRun();

        const allocationResources: Record<string, SubnetAllocation> = {};
        const manifestObjects: Record<string, pulumi.Output<WorkerSliceConfigManifest>> = {};
        const placements: Record<string, pulumi.Output<{ subnet: string; index: number }>> = {};
        const appliedResources: Record<string, k8s.apiextensions.CustomResource> = {};
        const fileResources: Record<string, ManifestFile> = {};
        for (const clusterName of clusters) {
            const planned = plan.apply((p) => p[clusterName]);
            const allocation = new SubnetAllocation(
                `${name}-${clusterName}`,
                {
                    sliceName: this.slice.sliceName,
                    clusterName,
                    requestedSubnet: planned.apply((p) => p?.subnet),
                    requestedSubnetIsPlan: planned.apply((p) => p?.source !== "pinned"),
                    store,
                },
                { parent: this },
            );
            allocationResources[clusterName] = allocation;
            // A preview cannot know a new allocation's result, but it knows the plan.
            const allocated = pulumi.all([allocation.subnet, allocation.index]).apply(([subnet, index]) => ({ subnet, index }));
            const placement = dryRun
                ? planned.apply((p) => (p === undefined ? allocated : pulumi.output({ subnet: p.subnet, index: p.index })))
                : allocated;
            placements[clusterName] = placement;
            const manifest = pulumi
                .all([this.slice.sliceSubnet, placement, pulumi.output(args.workerSliceConfig)])
                .apply(([sliceSubnet, { subnet, index }, extras]) =>
                    workerSliceConfig({ sliceName, namespace, sliceSubnet, clusterName, subnet, index, extras }),
                );
            manifestObjects[clusterName] = manifest;

            if (args.kubernetesProvider !== undefined) {
                appliedResources[clusterName] = new (kubernetes().apiextensions.CustomResource)(
                    `${name}-${clusterName}`,
                    {
                        apiVersion: WORKER_SLICE_CONFIG_API_VERSION,
                        kind: WORKER_SLICE_CONFIG_KIND,
                        metadata: manifest.apply((m) => ({
                            ...m.metadata,
                            annotations: { [DELETION_PROPAGATION_ANNOTATION]: args.deletionPropagation ?? "background" },
                        })),
                        spec: manifest.spec,
                    },
                    { parent: this, provider: args.kubernetesProvider },
                );
            }
            if (args.manifestsDirectory !== undefined) {
                fileResources[clusterName] = new ManifestFile(
                    `${name}-${clusterName}-manifest`,
                    {
                        path: path.join(args.manifestsDirectory, `${workerSliceConfigName(sliceName, clusterName)}.yaml`),
                        content: manifest.apply(renderManifestYaml),
                    },
                    { parent: this },
                );
            }
        }
        this.clusterAllocations = allocationResources;
        this.workerSliceConfigs = appliedResources;
        this.manifestFiles = fileResources;

        this.subnets = byCluster(clusters, (cluster) => placements[cluster].apply((p) => p.subnet));
        this.allocations = byCluster(clusters, (cluster) => {
            const a = allocationResources[cluster];
            return pulumi
                .all([a.subnet, a.index, a.status, a.allocatedAt, a.reused])
                .apply(([subnet, index, status, allocatedAt, reused]) => ({ subnet, index, status, allocatedAt, reused }));
        });
        this.renderManifests = () => byCluster(clusters, (cluster) => manifestObjects[cluster].apply(renderManifestYaml));
        this.totalSubnets = this.slice.totalSubnets;

        // A preview projects the figures from the plan (a new slice is not in
        // the store yet); a deployment reads them after every allocation has
        // settled, so they include anything other stacks hold in the slice.
        const figures: pulumi.Output<Capacity | undefined> = dryRun
            ? planning.apply((p) => p.projected)
            : pulumi
                  .all([this.slice.sliceName, this.subnets])
                  .apply(([slice]) =>
                      pulumi.unsecret(pulumi.output(store).apply((storeSpec) => readCapacity(storeSpec as StoreInput | undefined, slice))),
                  );
        this.availableSubnets = figures.apply((f) => f?.availableSubnets as number);
        this.utilization = figures.apply((f) => f?.utilization as number);

        // Only the small figures are registered: the engine rewrites the whole
        // state after every step, and per-cluster bulk here (every manifest's
        // YAML, each allocation again) cost ~690 B per cluster of it. The
        // properties still carry all of it for the program to export.
        this.registerOutputs({
            subnets: this.subnets,
            totalSubnets: this.totalSubnets,
            availableSubnets: this.availableSubnets,
            utilization: this.utilization,
        });
    }
}

/**
 * Reads the slice's ledger (read-only) and plans every cluster's subnet.
 * Internal. Exported for testing.
 */
export async function planSlice(
    component: string,
    params: {
        sliceName: string;
        sliceSubnet: string;
        subnetSize: number;
        clusters: readonly string[];
        maxClusters?: number;
        pins?: Readonly<Record<string, string>>;
        store?: StoreInput;
    },
): Promise<{ plan: Record<string, PlannedSubnet>; projected?: Capacity }> {
    const ledger = await loadSliceToPlan(openStore(params.store), params.sliceName);
    if (ledger === undefined && !checkSliceSubnet(params.sliceSubnet).ok) {
        return { plan: {} }; // the SliceIpam's check reports the bad pool; nothing to plan from
    }
    // The SliceIpam applies the program's maxClusters before any allocation runs;
    // an invalid one is the SliceIpam's check failure, not a reason to refuse clusters.
    const requested = params.maxClusters ?? ledger?.spec.maxClusters ?? DEFAULT_MAX_CLUSTERS;
    const maxClusters = isValidMaxClusters(requested) ? requested : DEFAULT_MAX_CLUSTERS;
    const input = {
        sliceName: params.sliceName,
        pool: poolOf(ledger?.spec ?? params),
        ledger,
        clusters: params.clusters,
        pins: params.pins,
        maxClusters,
        now: new Date(),
    };
    const planned = planAllocations(input);
    if (!planned.ok) {
        throw new Error(
            `KubeSliceIpam "${component}" cannot place its clusters:\n` +
                planned.issues.map((issue) => `  - ${issue.message}`).join("\n"),
        );
    }
    return { plan: { ...planned.plan }, projected: projectedCapacity(input, planned.plan, maxClusters) };
}

/**
 * @pulumi/kubernetes, loaded only for a component that applies its
 * WorkerSliceConfigs: loading it adds 0.1 s to every program run here.
 */
function kubernetes(): typeof import("@pulumi/kubernetes") {
    return require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
}

function isValidMaxClusters(value: number): boolean {
    return Number.isInteger(value) && value >= MAX_CLUSTERS_RANGE.min && value <= MAX_CLUSTERS_RANGE.max;
}

function byCluster<T>(clusters: readonly string[], value: (cluster: string) => pulumi.Input<T>): pulumi.Output<Record<string, T>> {
    return pulumi
        .all(clusters.map((cluster) => pulumi.output(value(cluster))))
        .apply((values) => Object.fromEntries(clusters.map((cluster, i) => [cluster, values[i]])) as Record<string, T>);
}

async function readCapacity(store: StoreInput | undefined, sliceName: string): Promise<Capacity> {
    const loaded = await openStore(store).load(sliceName);
    if (loaded === undefined) {
        throw new Error(`slice "${sliceName}" is not in ${openStore(store).description} after its allocations were made`);
    }
    return capacity(loaded.ledger, new Date());
}

/**
 * Checks what must be known to build the resource graph, reporting every
 * problem at once. Pool settings are checked by the SliceIpam itself.
 */
function assertValidArgs(name: string, args: KubeSliceIpamArgs): void {
    const problems: string[] = [];
    const label = (field: string, value: unknown) => {
        if (typeof value !== "string" || !isDnsLabel(value)) {
            problems.push(`${field} ${JSON.stringify(value)} must be a DNS-1123 label (lowercase letters, digits, '-')`);
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
    for (const cluster of Object.keys(args.pinnedSubnets ?? {})) {
        if (!args.clusters?.includes(cluster)) {
            problems.push(`pinnedSubnets names cluster "${cluster}", which is not in clusters`);
        }
    }
    if (args.deletionPropagation !== undefined && !DELETION_PROPAGATIONS.includes(args.deletionPropagation)) {
        problems.push(`deletionPropagation ${JSON.stringify(args.deletionPropagation)} must be one of ${DELETION_PROPAGATIONS.map((p) => `"${p}"`).join(", ")}`);
    }
    if (problems.length > 0) {
        throw new Error(`KubeSliceIpam "${name}" has invalid arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
}
