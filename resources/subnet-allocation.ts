import * as pulumi from "@pulumi/pulumi";
import type { AllocationStatus } from "../provider/core/ledger";
import { DynamicResource, ResourceKind } from "./dynamic-resource";
import { forwardingProvider } from "./handlers-module";
import type { StoreInput } from "./store-input";

/**
 * The dynamic provider behind {@link SubnetAllocation}, for use with
 * `pulumi.dynamic.Resource`; captures nothing but a module id.
 */
export const subnetAllocationProvider: pulumi.dynamic.ResourceProvider = forwardingProvider("subnetAllocation");

export interface SubnetAllocationArgs {
    /**
     * The slice; pass the SliceIpam's `sliceName` output so the slice is registered first. Changing it replaces the
     * allocation.
     */
    readonly sliceName: pulumi.Input<string>;
    /** DNS-1123 label of the cluster joining the slice. Changing it replaces the allocation. */
    readonly clusterName: pulumi.Input<string>;
    /**
     * Take this subnet when the allocation is created, if it is free: a planned subnet (KubeSliceIpam passes one so
     * previews show it) or a pinned one (adopting a static-IPAM cluster's subnet). Must be a `subnetSize` block of
     * the slice (a check failure otherwise). Held by another cluster: a pin fails, a plan (`requestedSubnetIsPlan`)
     * falls back to first-fit with a warning. Changing it never moves an existing allocation.
     */
    readonly requestedSubnet?: pulumi.Input<string>;
    /**
     * Marks `requestedSubnet` as a plan rather than a pin: a planned subnet taken by another cluster falls back to
     * first-fit with a warning, where a taken pin fails (in check, or at create if taken in between). KubeSliceIpam
     * sets it for the subnets it plans. Default false.
     */
    readonly requestedSubnetIsPlan?: pulumi.Input<boolean>;
    /**
     * Make a planned `requestedSubnet` hold: if another cluster took it (or a reserved range covers it) after it was
     * planned, the create fails, naming the holder and the subnet free now, instead of falling back to first-fit with
     * a warning. Default false.
     */
    readonly planMustHold?: pulumi.Input<boolean>;
    /**
     * In a dual-stack slice, an IPv6 subnet to take, as `requestedSubnet` is for the IPv4 pool (a pin, or a plan with
     * `requestedSubnetIsPlan`): a `subnetSizeIpv6` block of the IPv6 pool. Given with `requestedSubnet`, both must name
     * the same index (a check failure otherwise).
     */
    readonly requestedSubnetIpv6?: pulumi.Input<string>;
    /**
     * The slice's IPv6 pool: pass the SliceIpam's `sliceSubnetIpv6` output, so that when the pool is added to an IPv4
     * slice the allocation updates in place (its subnet unchanged) and reports its `subnetIpv6` in the same update.
     */
    readonly sliceSubnetIpv6?: pulumi.Input<string>;
    /**
     * Where allocation state is kept: must be the slice's store. Omitted: the file store in `.slice-ipam/` beside
     * the Pulumi project.
     */
    readonly store?: pulumi.Input<StoreInput>;
}

export const SUBNET_ALLOCATION: ResourceKind = {
    type: "SubnetAllocation",
    handlers: "subnetAllocation",
    outputs: ["subnet", "subnetIpv6", "index", "status", "allocatedAt", "reused"],
};

/**
 * One cluster's subnet in a slice. Creating it allocates (or adopts the
 * cluster's existing allocation); deleting it releases the subnet, which stays
 * reserved for the cluster for the slice's grace period. Id: `<slice>/<cluster>`.
 */
export class SubnetAllocation extends DynamicResource {
    declare readonly sliceName: pulumi.Output<string>;
    declare readonly clusterName: pulumi.Output<string>;
    declare readonly store: pulumi.Output<StoreInput | undefined>;
    declare readonly requestedSubnet: pulumi.Output<string | undefined>;
    /** The cluster's subnet, e.g. `10.1.0.0/24`. */
    declare readonly subnet: pulumi.Output<string>;
    /**
     * In a dual-stack slice, the cluster's IPv6 subnet at the same index as `subnet`, e.g. `fd00:10::/64`; absent
     * otherwise.
     */
    declare readonly subnetIpv6: pulumi.Output<string | undefined>;
    /** Position of the subnet in the slice's pool (0 = first block). */
    declare readonly index: pulumi.Output<number>;
    /** `Allocated`, `InUse` or `Released`. */
    declare readonly status: pulumi.Output<AllocationStatus>;
    /** When the subnet was first allocated to this cluster (ISO-8601). */
    declare readonly allocatedAt: pulumi.Output<string>;
    /** True when a subnet the cluster had released was handed back. */
    declare readonly reused: pulumi.Output<boolean>;

    constructor(name: string, args: SubnetAllocationArgs, opts?: pulumi.CustomResourceOptions) {
        super(SUBNET_ALLOCATION, name, args, opts);
    }
}
