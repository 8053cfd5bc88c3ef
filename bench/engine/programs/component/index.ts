import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// Engine benchmark: one slice of `clusters` clusters (names cluster-0000, …),
// file store at `storeDirectory`. Adding one to `clusters` adds exactly one name.
const config = new pulumi.Config();
const count = config.requireNumber("clusters");
const clusters = Array.from({ length: count }, (_, i) => `cluster-${String(i).padStart(4, "0")}`);

const slice = new KubeSliceIpam("bench", {
    sliceName: "bench",
    namespace: "kubeslice-bench",
    sliceSubnet: "10.0.0.0/12",
    subnetSize: 26,
    clusters,
    store: { kind: "file", directory: config.require("storeDirectory") },
});

export const subnets = slice.subnets;
export const availableSubnets = slice.availableSubnets;
