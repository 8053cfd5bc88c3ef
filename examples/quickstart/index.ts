import { KubeSliceIpam } from "kubeslice-ipam";

// One slice, two clusters. Subnets are allocated as the clusters join; the
// WorkerSliceConfig of each cluster is rendered to ./manifests/ for GitOps.
const blue = new KubeSliceIpam("blue", {
    sliceName: "blue",
    namespace: "kubeslice-cisco",
    sliceSubnet: "10.2.0.0/16",
    subnetSize: 24,
    clusters: ["worker-1", "worker-2"],
    manifestsDirectory: "manifests",
});

export const subnets = blue.subnets;
export const allocations = blue.allocations;
export const manifests = blue.manifests;
export const totalSubnets = blue.totalSubnets;
export const availableSubnets = blue.availableSubnets;
export const utilization = blue.utilization;
