import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// e2e fixture: one slice, everything from stack config so that a test changes
// the deployment with `pulumi config set` only.
//   clusters            JSON list of cluster names (required)
//   sliceSubnet         the slice's pool (required)
//   storeDirectory      the file store's directory, absolute (required)
//   sliceName           default "blue"
//   subnetSize          default: the package's (24)
//   gracePeriodSeconds  default: the package's (86400)
//   manifestsDirectory  default "manifests" (relative to the project)
//   reservedFrom        a network stack whose nodeCidr and podCidr outputs are reserved (default: none)
//   acceptReservedOverlaps, planMustHold  booleans (default: unset)
//   sliceSubnetIpv6, subnetSizeIpv6       a dual-stack slice's IPv6 pool (default: none, single-stack)
//   pinnedSubnetsIpv6   JSON map cluster → IPv6 subnet (default: none)
const config = new pulumi.Config();
const sliceName = config.get("sliceName") ?? "blue";
const reservedFrom = config.get("reservedFrom");
const network = reservedFrom === undefined ? undefined : new pulumi.StackReference(reservedFrom);

const slice = new KubeSliceIpam(sliceName, {
    sliceName,
    namespace: "kubeslice-e2e",
    sliceSubnet: config.require("sliceSubnet"),
    subnetSize: config.getNumber("subnetSize"),
    sliceSubnetIpv6: config.get("sliceSubnetIpv6"),
    subnetSizeIpv6: config.getNumber("subnetSizeIpv6"),
    pinnedSubnetsIpv6: config.getObject<Record<string, string>>("pinnedSubnetsIpv6"),
    gracePeriodSeconds: config.getNumber("gracePeriodSeconds"),
    clusters: config.requireObject<string[]>("clusters"),
    store: { kind: "file", directory: config.require("storeDirectory") },
    manifestsDirectory: config.get("manifestsDirectory") ?? "manifests",
    reservedRanges: network === undefined ? undefined : [network.requireOutput("nodeCidr"), network.requireOutput("podCidr")],
    acceptReservedOverlaps: config.getBoolean("acceptReservedOverlaps"),
    planMustHold: config.getBoolean("planMustHold"),
});

export const subnets = slice.subnets;
export const subnetsIpv6 = slice.subnetsIpv6;
export const allocations = slice.allocations;
export const manifests = slice.manifests;
export const totalSubnets = slice.totalSubnets;
export const totalSubnetsExact = slice.totalSubnetsExact;
export const availableSubnets = slice.availableSubnets;
