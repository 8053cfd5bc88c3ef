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
    /** DNS-1123 label (1–63 of a-z, 0-9, -): the slice's name in KubeSlice. Immutable. */
    readonly sliceName: pulumi.Input<string>;
    /**
     * Private CIDR the clusters' subnets come from, no host bits. IPv4, e.g. `10.1.0.0/16`: inside 10.0.0.0/8,
     * 172.16.0.0/12 or 192.168.0.0/16, prefix /8–/28. IPv6, e.g. `fd00:10::/48`: inside fc00::/7 (unique local), prefix
     * /8–/118, written as RFC 5952 does (lower case, zeros compressed). Must not overlap another slice in the same store.
     * Immutable.
     */
    readonly sliceSubnet: pulumi.Input<string>;
    /**
     * Prefix length of each cluster's subnet, longer than the slice prefix: 16–30 for IPv4 (default 24), 48–120 for IPv6
     * (e.g. 64). Immutable.
     */
    readonly subnetSize?: pulumi.Input<number>;
    /**
     * A dual-stack slice's IPv6 pool, beside an IPv4 `sliceSubnet`, e.g. `fd00:10::/48`: inside fc00::/7 (unique
     * local), prefix /8–/118, written as RFC 5952 does. Each cluster gets the subnets at one index of both pools
     * (cluster k: the k-th IPv4 and the k-th IPv6 subnet). May be added once to an IPv4 slice, in place: its clusters
     * keep their subnets and get their paired IPv6 ones in the same update. Immutable once set.
     */
    readonly sliceSubnetIpv6?: pulumi.Input<string>;
    /**
     * Prefix length of each cluster's IPv6 subnet in a dual-stack slice, 48–120, longer than the `sliceSubnetIpv6`
     * prefix (e.g. 64). Required with `sliceSubnetIpv6`. Immutable once set.
     */
    readonly subnetSizeIpv6?: pulumi.Input<number>;
    /**
     * How long a released subnet stays reserved for its cluster, in seconds (0–31,536,000). Default 86400 (24 h).
     * Updates in place.
     */
    readonly gracePeriodSeconds?: pulumi.Input<number>;
    /** Most clusters that may hold a subnet at once, 1–4096. Default 4096. Updates in place. */
    readonly maxClusters?: pulumi.Input<number>;
    /**
     * CIDRs kept out of allocation, e.g. a VPC's node, pod and service ranges (another stack's outputs work). Any
     * subnet of the pool a range touches is never handed out; ranges outside the pool are accepted and ignored.
     * Updates in place: removing a range frees nothing held; adding one over subnets clusters hold is refused at
     * preview, naming them, unless `acceptReservedOverlaps`.
     */
    readonly reservedRanges?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Let a newly added reserved range cover subnets clusters hold (Allocated, InUse or Released): they keep them,
     * `slice-ipam check` reports them, and nothing new is allocated there. Default false: such a change is refused.
     */
    readonly acceptReservedOverlaps?: pulumi.Input<boolean>;
    /** Where allocation state is kept. Omitted: the file store in `.slice-ipam/` beside the Pulumi project. */
    readonly store?: pulumi.Input<StoreInput>;
}

export const SLICE_IPAM: ResourceKind = {
    type: "SliceIpam",
    handlers: "sliceIpam",
    outputs: ["totalSubnets", "availableSubnets", "reservedSubnets", "totalSubnetsExact", "reservedSubnetsExact"],
};

/**
 * A slice's address pool, registered in the store. Its id is the slice name.
 * Subnets are handed out by {@link SubnetAllocation}s, only as clusters join.
 */
export class SliceIpam extends DynamicResource {
    declare readonly sliceName: pulumi.Output<string>;
    declare readonly sliceSubnet: pulumi.Output<string>;
    declare readonly subnetSize: pulumi.Output<number>;
    declare readonly sliceSubnetIpv6: pulumi.Output<string | undefined>;
    declare readonly subnetSizeIpv6: pulumi.Output<number | undefined>;
    declare readonly gracePeriodSeconds: pulumi.Output<number>;
    declare readonly maxClusters: pulumi.Output<number>;
    declare readonly reservedRanges: pulumi.Output<string[] | undefined>;
    declare readonly acceptReservedOverlaps: pulumi.Output<boolean | undefined>;
    declare readonly store: pulumi.Output<StoreInput | undefined>;
    /**
     * `2^(subnetSize − prefix)`, e.g. 256 for a /16 of /24s; in a dual-stack slice, the smaller pool's count (the
     * indexes both pools have). Past 2^53 (an IPv6 pool) a float64's nearest value: read `totalSubnetsExact`.
     */
    declare readonly totalSubnets: pulumi.Output<number>;
    /**
     * Clusters that could still join: free subnets, capped by `maxClusters`; as of the last create, update or
     * refresh.
     */
    declare readonly availableSubnets: pulumi.Output<number>;
    /** Subnets of the pool that the reserved ranges touch, held or not; never handed out anew. */
    declare readonly reservedSubnets: pulumi.Output<number>;
    /** `totalSubnets` as exact decimal text, e.g. `"72057594037927936"` for fd00::/8 of /64s. */
    declare readonly totalSubnetsExact: pulumi.Output<string>;
    /** `reservedSubnets` as exact decimal text, exact past 2^53 too. */
    declare readonly reservedSubnetsExact: pulumi.Output<string>;

    constructor(name: string, args: SliceIpamArgs, opts?: pulumi.CustomResourceOptions) {
        super(SLICE_IPAM, name, args, opts);
    }
}
