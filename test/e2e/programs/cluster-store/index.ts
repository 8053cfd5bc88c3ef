import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// e2e fixture: the ledger in the Kubernetes store, with the kubeconfig as a
// secret config value (`pulumi config set --secret kubeconfig …`).
//   clusters    JSON list of cluster names (required)
//   namespace   namespace of the SliceIpam objects (required)
//   kubeconfig  secret (required)
const config = new pulumi.Config();
const namespace = config.require("namespace");
const kubeconfig = config.requireSecret("kubeconfig");

const slice = new KubeSliceIpam("blue", {
    sliceName: "blue",
    namespace,
    sliceSubnet: "10.2.0.0/16",
    clusters: config.requireObject<string[]>("clusters"),
    store: kubeconfig.apply((contents) => ({ kind: "kubernetes" as const, namespace, kubeconfig: contents })),
});

export const subnets = slice.subnets;
export const availableSubnets = slice.availableSubnets;
