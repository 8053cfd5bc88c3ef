import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// The guide's multi-slice isolation test: two slices, independent pools.
const blue = new KubeSliceIpam("blue", {
    sliceName: "blue",
    namespace: "kubeslice-cisco",
    sliceSubnet: "10.2.0.0/16",
    clusters: ["worker-1", "worker-2"],
});

const red = new KubeSliceIpam("red", {
    sliceName: "red",
    namespace: "kubeslice-cisco",
    sliceSubnet: "10.3.0.0/16",
    clusters: ["worker-3", "worker-4"],
});

export const subnets = pulumi.all({ blue: blue.subnets, red: red.subnets });
