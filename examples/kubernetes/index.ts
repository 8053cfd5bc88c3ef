import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// Applies each cluster's WorkerSliceConfig to the KubeSlice controller
// cluster instead of rendering YAML. The kubeconfig is a secret config value.
const config = new pulumi.Config();
const controller = new k8s.Provider("controller-cluster", {
    kubeconfig: config.requireSecret("kubeconfig"),
});

const slice = new KubeSliceIpam("blue", {
    sliceName: "blue",
    namespace: "kubeslice-cisco",
    sliceSubnet: "10.2.0.0/16",
    clusters: ["worker-1", "worker-2"],
    kubernetesProvider: controller,
    workerSliceConfig: {
        sliceType: "Application",
        sliceGatewayProvider: { sliceGatewayType: "OpenVPN", sliceCaType: "Local" },
        qosProfileDetails: { queueType: "HTB", priority: 1, tcType: "BANDWIDTH_CONTROL", bandwidthCeilingKbps: 5120, bandwidthGuaranteedKbps: 2560, dscpClass: "AF11" },
    },
});

export const subnets = slice.subnets;
