import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, ResourceKind } from "./dynamic-resource";
import { forwardingProvider } from "./handlers-module";
import type { StoreInput } from "./store-input";

/**
 * The dynamic provider behind {@link SliceIpam}, for use with
 * `pulumi.dynamic.Resource`. Each method loads the
 * implementation by module id inside the call, so serializing this object
 * captures one string and no state.
 */
export const sliceIpamProvider: pulumi.dynamic.ResourceProvider = forwardingProvider("sliceIpam");

export interface SliceIpamArgs {
    /** DNS-1123 label; the slice's name in KubeSlice. Immutable. */
    readonly sliceName: pulumi.Input<string>;
    /** Private IPv4 CIDR the clusters' subnets come from, e.g. `10.1.0.0/16`. Immutable. */
    readonly sliceSubnet: pulumi.Input<string>;
    /** Prefix length of each cluster's subnet, 16–30, longer than the slice prefix. Default 24. Immutable. */
    readonly subnetSize?: pulumi.Input<number>;
    /** How long a released subnet stays reserved for its cluster. Default 86400 (24 h). */
    readonly gracePeriodSeconds?: pulumi.Input<number>;
    /** Most clusters that may hold a subnet at once, 1–4096. Default 4096. */
    readonly maxClusters?: pulumi.Input<number>;
    readonly store?: pulumi.Input<StoreInput>;
}

export const SLICE_IPAM: ResourceKind = { type: "SliceIpam", handlers: "sliceIpam", outputs: ["totalSubnets", "availableSubnets"] };

/**
 * A slice's address pool, registered in the store. Its id is the slice name.
 * Subnets are handed out by {@link SubnetAllocation}s, only as clusters join.
 */
export class SliceIpam extends DynamicResource {
    declare readonly sliceName: pulumi.Output<string>;
    declare readonly sliceSubnet: pulumi.Output<string>;
    declare readonly subnetSize: pulumi.Output<number>;
    declare readonly gracePeriodSeconds: pulumi.Output<number>;
    declare readonly maxClusters: pulumi.Output<number>;
    declare readonly store: pulumi.Output<StoreInput | undefined>;
    /** `2^(subnetSize − prefix)`. */
    declare readonly totalSubnets: pulumi.Output<number>;
    /** Clusters that could still join, as of the last create, update or refresh. */
    declare readonly availableSubnets: pulumi.Output<number>;

    constructor(name: string, args: SliceIpamArgs, opts?: pulumi.CustomResourceOptions) {
        super(SLICE_IPAM, name, args, opts);
    }
}
