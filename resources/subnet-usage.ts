import * as pulumi from "@pulumi/pulumi";
import type { AllocationStatus } from "../provider/core/ledger";
import { DynamicResource, ResourceKind } from "./dynamic-resource";
import { forwardingProvider } from "./handlers-module";
import type { StoreInput } from "./store-input";

/** The dynamic provider behind {@link SubnetUsage}; captures nothing but a module id. */
export const subnetUsageProvider: pulumi.dynamic.ResourceProvider = forwardingProvider("subnetUsage");

export interface SubnetUsageArgs {
    /** The slice the cluster's allocation is in. */
    readonly sliceName: pulumi.Input<string>;
    /** The cluster whose WorkerSliceConfig reports the usage. */
    readonly clusterName: pulumi.Input<string>;
    /** The WorkerSliceConfig whose status is passed, for messages. */
    readonly workerSliceConfig: pulumi.Input<string>;
    /** That WorkerSliceConfig's `status`, as the Kubernetes provider last read it. */
    readonly workerSliceConfigStatus: pulumi.Input<unknown>;
    /**
     * Where allocation state is kept: must be the slice's store. Omitted: the file store in `.slice-ipam/` beside
     * the Pulumi project.
     */
    readonly store?: pulumi.Input<StoreInput>;
}

export const SUBNET_USAGE: ResourceKind = { type: "SubnetUsage", handlers: "subnetUsage", outputs: ["allocationStatus", "connectedPods"] };

/**
 * Records in the slice's ledger what a cluster's applied WorkerSliceConfig
 * reports: Allocated → InUse once its worker lists a connected app pod. The
 * status is as of the Kubernetes provider's last read, so `pulumi up
 * --refresh` (or a refresh, then an up) is what brings a new report in.
 * Writes nothing else; deleting it warns when the cluster was InUse.
 */
export class SubnetUsage extends DynamicResource {
    /** The allocation's status after recording: `Allocated`, `InUse` or `Released`. */
    declare readonly allocationStatus: pulumi.Output<AllocationStatus>;
    /** Connected app pods the status names (entries without a pod name are not counted). */
    declare readonly connectedPods: pulumi.Output<number>;

    constructor(name: string, args: SubnetUsageArgs, opts?: pulumi.CustomResourceOptions) {
        super(SUBNET_USAGE, name, args, opts);
    }
}
