import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// Engine benchmark: one slice of `clusters` clusters (names cluster-0000, …),
// file store at `storeDirectory`; with `storeNamespace` set, the Kubernetes
// store in that namespace instead, its kubeconfig the secret `kubeconfig` (as
// the README recommends). Adding one to `clusters` adds exactly one name.
const config = new pulumi.Config();
const count = config.requireNumber("clusters");
const clusters = Array.from({ length: count }, (_, i) => `cluster-${String(i).padStart(4, "0")}`);

const slice = new KubeSliceIpam("bench", {
    sliceName: "bench",
    namespace: "kubeslice-bench",
    sliceSubnet: "10.0.0.0/12",
    subnetSize: 26,
    clusters,
    store: storeOf(config),
});

export const subnets = slice.subnets;
export const availableSubnets = slice.availableSubnets;

function storeOf(config: pulumi.Config) {
    const namespace = config.get("storeNamespace");
    if (namespace === undefined) {
        return { kind: "file" as const, directory: config.require("storeDirectory") };
    }
    // kubeconfigForm "environment": none in the input, the provider reads KUBECONFIG (experiments on state size).
    if (config.get("kubeconfigForm") === "environment") {
        return { kind: "kubernetes" as const, namespace };
    }
    return config.requireSecret("kubeconfig").apply((kubeconfig) => ({ kind: "kubernetes" as const, namespace, kubeconfig }));
}
