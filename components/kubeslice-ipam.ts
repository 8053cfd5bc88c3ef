import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { KubesliceIpamError } from "../provider/core/kubeslice-ipam-error";
import { capacity, Capacity, poolOf } from "../provider/core/ledger";
import { PlannedSubnet, planAllocations, projectedCapacity } from "../provider/core/plan";
import { checkIpv6Pool, checkSliceSubnet, DEFAULT_MAX_CLUSTERS, DEFAULT_SUBNET_SIZE, MAX_CLUSTERS_RANGE } from "../provider/core/validation";
import { exactCount, Pool } from "../provider/core/pool";
import { ipv6PoolOf } from "../provider/core/slice-pools";
import type { SliceIpam } from "../resources/slice-ipam";
import type { StoreInput } from "../resources/store-input";
import { openStore } from "../provider/store/store-spec";
import { loadSliceToPlan } from "../provider/service/slices";
import type { SubnetAllocation } from "../resources/subnet-allocation";
import { ChildResourceClasses, DYNAMIC_CHILDREN } from "./child-resources";
import { ChildStore, childStore } from "./child-store";
import { ClusterAllocation, KubeSliceIpamArgs, validateKubeSliceIpamArgs } from "./kubeslice-ipam-args";
import type { ManifestFile } from "../resources/manifest-file";
import { SubnetUsage } from "../resources/subnet-usage";
import {
    renderManifestYaml,
    WORKER_SLICE_CONFIG_API_VERSION,
    WORKER_SLICE_CONFIG_KIND,
    workerSliceConfig,
    WorkerSliceConfigManifest,
    workerSliceConfigName,
} from "./worker-slice-config";

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
    /** With a Kubernetes provider: each cluster's usage record, fed by its WorkerSliceConfig's status. */
    readonly subnetUsages: Readonly<Record<string, SubnetUsage>>;
    /** With a manifests directory: each cluster's manifest file. */
    readonly manifestFiles: Readonly<Record<string, ManifestFile>>;
    /** Cluster → subnet, e.g. `{ "worker-1": "10.1.0.0/24" }`. */
    readonly subnets: pulumi.Output<Record<string, string>>;
    /** Cluster → IPv6 subnet in a dual-stack slice, e.g. `{ "worker-1": "fd00:10::/64" }`; empty otherwise. */
    readonly subnetsIpv6: pulumi.Output<Record<string, string>>;
    /**
     * `2^(subnetSize − prefix)`, e.g. 256 for a /16 of /24s; in a dual-stack slice, the smaller pool's count (the
     * indexes both pools have). Past 2^53 (an IPv6 pool) a float64's nearest value: read `totalSubnetsExact`.
     */
    readonly totalSubnets: pulumi.Output<number>;
    /** `totalSubnets` as exact decimal text, e.g. `"72057594037927936"` for fd00::/8 of /64s. */
    readonly totalSubnetsExact: pulumi.Output<string>;
    /**
     * Clusters that could still join, read from the store after this deployment's allocations (includes clusters
     * other stacks hold in the slice).
     */
    readonly availableSubnets: pulumi.Output<number>;
    /**
     * Active subnets / usable subnets (the pool less the reserved subnets nobody holds), 0..1, read from the store
     * after this deployment's allocations.
     */
    readonly utilization: pulumi.Output<number>;

    // Built on first use: at a thousand clusters, every Output made per cluster
    // and never read is seconds of a preview (see docs/performance.md).
    private readonly renderManifests: () => pulumi.Output<Record<string, string>>;
    private renderedManifests?: pulumi.Output<Record<string, string>>;
    private readonly collectAllocations: () => pulumi.Output<Record<string, ClusterAllocation>>;
    private collectedAllocations?: pulumi.Output<Record<string, ClusterAllocation>>;

    /**
     * Cluster → WorkerSliceConfig YAML (keys sorted, stable). Rendered on first
     * use and not registered as the component's output: export it to keep it
     * in the stack, or write files with `manifestsDirectory`.
     */
    get manifests(): pulumi.Output<Record<string, string>> {
        return (this.renderedManifests ??= this.renderManifests());
    }

    /** Cluster → full allocation entry. Collected on first use and not registered as the component's output, like `manifests`. */
    get allocations(): pulumi.Output<Record<string, ClusterAllocation>> {
        return (this.collectedAllocations ??= this.collectAllocations());
    }

    /** `childClasses` is internal: the native provider passes its own resource types (components/child-resources.ts). */
    constructor(
        name: string,
        args: KubeSliceIpamArgs,
        opts?: pulumi.ComponentResourceOptions,
        childClasses: ChildResourceClasses = DYNAMIC_CHILDREN,
    ) {
        // Before super(): invalid arguments must not leave a registered, childless component behind.
        validateKubeSliceIpamArgs(name, args);
        super("kubeslice-ipam:index:KubeSliceIpam", name, {}, opts);
        const clusters = [...args.clusters].sort();
        const dryRun = pulumi.runtime.isDryRun();

        const store = childStore(this, name, args.store, childClasses);
        this.slice = createSlice(this, name, args, store, childClasses);
        const planning = planClusters(name, args);
        const children = Object.fromEntries(
            clusters.map((clusterName) => [clusterName, createCluster(this, name, args, store, clusterName, planning, dryRun, childClasses)]),
        );
        this.clusterAllocations = childrenOf(children, (child) => child.allocation);
        this.workerSliceConfigs = childrenOf(children, (child) => child.applied);
        this.subnetUsages = childrenOf(children, (child) => child.usage);
        this.manifestFiles = childrenOf(children, (child) => child.file);

        this.subnets = byCluster(clusters, (cluster) => children[cluster].subnet);
        this.subnetsIpv6 = byCluster(clusters, (cluster) => children[cluster].subnetIpv6).apply(withoutAbsent);
        this.collectAllocations = () => byCluster(clusters, (cluster) => allocationEntry(children[cluster].allocation, children[cluster].usage));
        this.renderManifests = () => byCluster(clusters, (cluster) => children[cluster].manifest().apply(renderManifestYaml));
        this.totalSubnets = this.slice.totalSubnets;
        // From the number, which is exact (a power of two): a SliceIpam in state from before totalSubnetsExact
        // existed keeps its old outputs until its next update or refresh.
        this.totalSubnetsExact = this.slice.totalSubnets.apply(exactCount);
        const figures = capacityFigures(this.slice, this.subnets, args.store, planning, dryRun);
        this.availableSubnets = figures.apply((f) => f?.availableSubnets as number);
        this.utilization = figures.apply((f) => f?.utilization as number);

        // Only the small figures are registered: the engine rewrites the whole
        // state after every step, and per-cluster bulk here (every manifest's
        // YAML, each allocation again) cost ~690 B per cluster of it. The
        // properties still carry all of it for the program to export.
        this.registerOutputs({
            subnets: this.subnets,
            subnetsIpv6: this.subnetsIpv6,
            totalSubnets: this.totalSubnets,
            totalSubnetsExact: this.totalSubnetsExact,
            availableSubnets: this.availableSubnets,
            utilization: this.utilization,
        });
    }
}

/** The slice's pool, named like the component. */
function createSlice(parent: KubeSliceIpam, name: string, args: KubeSliceIpamArgs, store: ChildStore, classes: ChildResourceClasses): SliceIpam {
    const { sliceName, sliceSubnet, subnetSize, sliceSubnetIpv6, subnetSizeIpv6, gracePeriodSeconds, maxClusters, reservedRanges } = args;
    const { acceptReservedOverlaps } = args;
    return new classes.SliceIpam(
        name,
        {
            sliceName,
            sliceSubnet,
            subnetSize,
            // Only when given: a single-stack slice sends the SliceIpam exactly what it did before dual-stack slices.
            ...(sliceSubnetIpv6 === undefined ? {} : { sliceSubnetIpv6 }),
            ...(subnetSizeIpv6 === undefined ? {} : { subnetSizeIpv6 }),
            gracePeriodSeconds,
            maxClusters,
            reservedRanges,
            acceptReservedOverlaps,
            store: store.store,
        },
        childOptions(parent, store),
    );
}

/** The options of the component's dynamic children: its own provider when the store's kubeconfig is in one. */
function childOptions(parent: KubeSliceIpam, store: ChildStore): pulumi.CustomResourceOptions {
    return store.provider === undefined ? { parent } : { parent, provider: store.provider };
}

type Planning = pulumi.Output<{ plan: Record<string, PlannedSubnet>; projected?: Capacity }>;

/**
 * Every cluster's subnet, decided now, read-only, so that a preview shows each
 * joining cluster's subnet and creates running in any order produce exactly
 * this plan. Subnets are not secret even when the store's kubeconfig is: they
 * stay visible in previews.
 */
function planClusters(name: string, args: KubeSliceIpamArgs): Planning {
    return pulumi.unsecret(
        pulumi
            .all([
                args.sliceSubnet,
                args.subnetSize ?? DEFAULT_SUBNET_SIZE,
                args.maxClusters ?? DEFAULT_MAX_CLUSTERS,
                pulumi.output(args.reservedRanges),
                pulumi.output(args.store),
                pulumi.output(args.sliceSubnetIpv6),
                pulumi.output(args.subnetSizeIpv6),
            ])
            .apply(([sliceSubnet, subnetSize, maxClusters, reservedRanges, storeSpec, sliceSubnetIpv6, subnetSizeIpv6]) =>
                planSlice(name, {
                    sliceName: args.sliceName,
                    sliceSubnet,
                    subnetSize,
                    sliceSubnetIpv6,
                    subnetSizeIpv6,
                    maxClusters,
                    reservedRanges,
                    clusters: args.clusters,
                    pins: args.pinnedSubnets,
                    pinsIpv6: args.pinnedSubnetsIpv6,
                    store: storeSpec as StoreInput | undefined,
                }),
            ),
    );
}

/** One cluster's children and what the component's outputs need of them. */
interface ClusterChildren {
    readonly allocation: SubnetAllocation;
    /** The allocated subnet; in a preview, the planned one. */
    readonly subnet: pulumi.Output<string>;
    /** In a dual-stack slice, the allocated IPv6 subnet; in a preview, the planned one. */
    readonly subnetIpv6: pulumi.Output<string | undefined>;
    /** The cluster's WorkerSliceConfig, built on first call. */
    readonly manifest: () => pulumi.Output<WorkerSliceConfigManifest>;
    readonly applied?: k8s.apiextensions.CustomResource;
    readonly usage?: SubnetUsage;
    readonly file?: ManifestFile;
}

function createCluster(
    parent: KubeSliceIpam,
    name: string,
    args: KubeSliceIpamArgs,
    store: ChildStore,
    clusterName: string,
    planning: Planning,
    dryRun: boolean,
    classes: ChildResourceClasses,
): ClusterChildren {
    const planned = planning.apply((p) => p.plan[clusterName]);
    const allocation = createAllocation(parent, name, args, store, clusterName, planned, classes);
    // A preview cannot know a new allocation's result, but it knows the plan.
    const subnet = dryRun ? planned.apply((p) => p?.subnet ?? allocation.subnet) : allocation.subnet;
    const subnetIpv6 = dryRun ? planned.apply((p) => (p === undefined ? allocation.subnetIpv6 : pulumi.output(p.subnetIpv6))) : allocation.subnetIpv6;
    let manifest: pulumi.Output<WorkerSliceConfigManifest> | undefined;
    const manifestOnce = () => (manifest ??= clusterManifest(parent, args, clusterName, allocation, planned, dryRun));
    const applied = applyWorkerSliceConfig(parent, name, args, clusterName, manifestOnce);
    return {
        allocation,
        subnet,
        subnetIpv6,
        manifest: manifestOnce,
        applied,
        usage: applied === undefined ? undefined : recordUsage(parent, name, args, store, clusterName, allocation, applied),
        file: writeManifestFile(parent, name, args, store, clusterName, manifestOnce, classes),
    };
}

/** The cluster's WorkerSliceConfig, carrying its allocated subnet (in a preview, the planned one). */
function clusterManifest(
    parent: KubeSliceIpam,
    args: KubeSliceIpamArgs,
    clusterName: string,
    allocation: SubnetAllocation,
    planned: pulumi.Output<PlannedSubnet>,
    dryRun: boolean,
): pulumi.Output<WorkerSliceConfigManifest> {
    const allocated = pulumi
        .all([allocation.subnet, allocation.index, allocation.subnetIpv6])
        .apply(([subnet, index, subnetIpv6]) => ({ subnet, index, subnetIpv6 }));
    const placement = dryRun
        ? planned.apply((p) => (p === undefined ? allocated : pulumi.output({ subnet: p.subnet, index: p.index, subnetIpv6: p.subnetIpv6 })))
        : allocated;
    return pulumi
        .all([parent.slice.sliceSubnet, pulumi.output(args.sliceSubnetIpv6), placement, pulumi.output(args.workerSliceConfig)])
        .apply(([sliceSubnet, sliceSubnetIpv6, { subnet, index, subnetIpv6 }, extras]) =>
            workerSliceConfig({
                sliceName: args.sliceName,
                namespace: args.namespace,
                sliceSubnet,
                clusterName,
                subnet,
                index,
                ...(sliceSubnetIpv6 === undefined || subnetIpv6 === undefined ? {} : { ipv6: { sliceSubnet: sliceSubnetIpv6, subnet: subnetIpv6 } }),
                extras,
            }),
        );
}

/** The cluster's SubnetAllocation, asking for its planned subnet (a pin is a hard request, a plan a soft one). */
function createAllocation(
    parent: KubeSliceIpam,
    name: string,
    args: KubeSliceIpamArgs,
    store: ChildStore,
    clusterName: string,
    planned: pulumi.Output<PlannedSubnet>,
    classes: ChildResourceClasses,
): SubnetAllocation {
    return new classes.SubnetAllocation(
        `${name}-${clusterName}`,
        {
            sliceName: parent.slice.sliceName,
            clusterName,
            requestedSubnet: planned.apply((p) => p?.subnet),
            requestedSubnetIsPlan: planned.apply((p) => p?.source !== "pinned"),
            ...(args.planMustHold === true ? { planMustHold: true } : {}),
            // The slice's IPv6 pool: its addition updates each allocation in place, which then reports its paired subnet.
            ...(args.sliceSubnetIpv6 === undefined ? {} : { sliceSubnetIpv6: parent.slice.sliceSubnetIpv6 as pulumi.Output<string> }),
            store: store.store,
        },
        childOptions(parent, store),
    );
}

const DELETION_PROPAGATION_ANNOTATION = "pulumi.com/deletionPropagationPolicy";
// The subnet in an applied WorkerSliceConfig must be the ledger's: when someone
// edits it out of band (a field manager of its own), the next up takes the
// fields back instead of failing on a server-side apply conflict.
const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/** With a Kubernetes provider: the WorkerSliceConfig as a custom resource in that cluster. */
function applyWorkerSliceConfig(
    parent: KubeSliceIpam,
    name: string,
    args: KubeSliceIpamArgs,
    clusterName: string,
    manifestOf: () => pulumi.Output<WorkerSliceConfigManifest>,
): k8s.apiextensions.CustomResource | undefined {
    if (args.kubernetesProvider === undefined) {
        return undefined;
    }
    const manifest = manifestOf();
    return new (kubernetes().apiextensions.CustomResource)(
        `${name}-${clusterName}`,
        {
            apiVersion: WORKER_SLICE_CONFIG_API_VERSION,
            kind: WORKER_SLICE_CONFIG_KIND,
            metadata: manifest.apply((m) => ({
                ...m.metadata,
                annotations: {
                    ...m.metadata.annotations,
                    [DELETION_PROPAGATION_ANNOTATION]: args.deletionPropagation ?? "background",
                    [PATCH_FORCE_ANNOTATION]: "true",
                },
            })),
            spec: manifest.spec,
            // Declared (not sent) so that the worker's status, as the provider reads it, is an output.
            status: undefined,
        },
        { parent, provider: args.kubernetesProvider },
    );
}

/** With an applied WorkerSliceConfig: its worker's report of connected pods, recorded in the ledger (Allocated → InUse). */
function recordUsage(
    parent: KubeSliceIpam,
    name: string,
    args: KubeSliceIpamArgs,
    store: ChildStore,
    clusterName: string,
    allocation: SubnetAllocation,
    applied: k8s.apiextensions.CustomResource,
): SubnetUsage {
    return new SubnetUsage(
        `${name}-${clusterName}-usage`,
        {
            sliceName: parent.slice.sliceName,
            clusterName,
            workerSliceConfig: workerSliceConfigName(args.sliceName, clusterName),
            workerSliceConfigStatus: (applied as unknown as { status: pulumi.Output<unknown> }).status,
            store: store.store,
        },
        { ...childOptions(parent, store), dependsOn: [allocation] },
    );
}

/** With a manifests directory: the WorkerSliceConfig as `<dir>/<slice>-<cluster>.yaml`. */
function writeManifestFile(
    parent: KubeSliceIpam,
    name: string,
    args: KubeSliceIpamArgs,
    store: ChildStore,
    clusterName: string,
    manifestOf: () => pulumi.Output<WorkerSliceConfigManifest>,
    classes: ChildResourceClasses,
): ManifestFile | undefined {
    if (args.manifestsDirectory === undefined) {
        return undefined;
    }
    const manifest = manifestOf();
    return new classes.ManifestFile(
        `${name}-${clusterName}-manifest`,
        {
            path: path.join(args.manifestsDirectory, `${workerSliceConfigName(args.sliceName, clusterName)}.yaml`),
            content: manifest.apply(renderManifestYaml),
            ...(args.manifestsOutsideProject === true ? { allowOutsideProject: true } : {}),
        },
        // The store's provider serves it too: one provider process for the component's children, not two.
        childOptions(parent, store),
    );
}

/** The usage record, when there is one, holds the status after the worker's report; the allocation's is as of its last write. */
function allocationEntry(allocation: SubnetAllocation, usage: SubnetUsage | undefined): pulumi.Output<ClusterAllocation> {
    const status = usage?.allocationStatus ?? allocation.status;
    return pulumi
        .all([allocation.subnet, allocation.subnetIpv6, allocation.index, status, allocation.allocatedAt, allocation.reused])
        .apply(([subnet, subnetIpv6, index, status, allocatedAt, reused]) => ({
            subnet,
            ...(subnetIpv6 === undefined ? {} : { subnetIpv6 }),
            index,
            status,
            allocatedAt,
            reused,
        }));
}

/**
 * A preview projects the figures from the plan (a new slice is not in the
 * store yet); a deployment reads them after every allocation has settled, so
 * they include anything other stacks hold in the slice.
 */
function capacityFigures(
    slice: SliceIpam,
    subnets: pulumi.Output<Record<string, string>>,
    store: KubeSliceIpamArgs["store"],
    planning: Planning,
    dryRun: boolean,
): pulumi.Output<Capacity | undefined> {
    if (dryRun) {
        return planning.apply((p) => p.projected);
    }
    return pulumi
        .all([slice.sliceName, subnets])
        .apply(([sliceName]) =>
            pulumi.unsecret(pulumi.output(store).apply((storeSpec) => readCapacity(storeSpec as StoreInput | undefined, sliceName))),
        );
}

/** The children that exist, by cluster (applied configs and files are optional). */
function childrenOf<T>(children: Record<string, ClusterChildren>, child: (cluster: ClusterChildren) => T | undefined): Record<string, T> {
    const present: Record<string, T> = {};
    for (const [cluster, each] of Object.entries(children)) {
        const value = child(each);
        if (value !== undefined) {
            present[cluster] = value;
        }
    }
    return present;
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
        /** A dual-stack slice's IPv6 pool as the program declares it (the SliceIpam adds it before any allocation runs). */
        sliceSubnetIpv6?: string;
        subnetSizeIpv6?: number;
        clusters: readonly string[];
        maxClusters?: number;
        /** The program's reserved ranges, which the SliceIpam applies before any allocation runs. */
        reservedRanges?: readonly string[];
        pins?: Readonly<Record<string, string>>;
        pinsIpv6?: Readonly<Record<string, string>>;
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
        ipv6Pool: declaredIpv6Pool(params) ?? (ledger === undefined ? undefined : ipv6PoolOf(ledger.spec)),
        ledger,
        clusters: params.clusters,
        pins: params.pins,
        pinsIpv6: params.pinsIpv6,
        maxClusters,
        reservedRanges: params.reservedRanges,
        now: new Date(),
    };
    const planned = planAllocations(input);
    if (!planned.ok) {
        throw new KubesliceIpamError(
            "clusters-unplaceable",
            `KubeSliceIpam "${component}" cannot place its clusters:\n` + planned.issues.map((issue) => `  - ${issue.message}`).join("\n"),
        );
    }
    return { plan: { ...planned.plan }, projected: projectedCapacity(input, planned.plan, maxClusters) };
}

/** The IPv6 pool as declared, when valid (an invalid one is the SliceIpam's check failure, not a reason to refuse clusters). */
function declaredIpv6Pool(params: { sliceSubnet: string; sliceSubnetIpv6?: string; subnetSizeIpv6?: number }): Pool | undefined {
    if (params.sliceSubnetIpv6 === undefined || !checkSliceSubnet(params.sliceSubnetIpv6, "sliceSubnetIpv6").ok || checkIpv6Pool(params).length > 0) {
        return undefined;
    }
    return ipv6PoolOf({ ...params, subnetSize: 0 });
}

/** A map without its absent values: a single-stack slice's clusters have no IPv6 subnet. */
function withoutAbsent(values: Record<string, string | undefined>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * @pulumi/kubernetes, loaded only for a component that applies its
 * WorkerSliceConfigs: it is a large module, and a program that only renders
 * manifests should not pay for loading it on every run (docs/performance.md).
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
        throw new KubesliceIpamError(
            "slice-disappeared",
            `slice "${sliceName}" is not in ${openStore(store).description} after its allocations were made`,
        );
    }
    return capacity(loaded.ledger, new Date());
}
