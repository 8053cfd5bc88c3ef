import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// The KubeSlice controller cluster holds both the ledger (SliceIpam objects,
// shared by every stack and machine) and the WorkerSliceConfigs applied to it.
// The kubeconfig is a secret config value: it stays encrypted in state.
const config = new pulumi.Config();
const kubeconfig = config.requireSecret("kubeconfig");
const namespace = "kubeslice-cisco";
// The clusters can come from stack config (`pulumi config set --path 'clusters[2]' worker-3`).
const clusters = config.getObject<string[]>("clusters") ?? ["worker-1", "worker-2"];
const controller = new k8s.Provider("controller-cluster", { kubeconfig });

const slice = new KubeSliceIpam("blue", {
    sliceName: "blue",
    namespace,
    sliceSubnet: "10.2.0.0/16",
    clusters,
    store: kubeconfig.apply((contents) => ({ kind: "kubernetes" as const, namespace, kubeconfig: contents })),
    kubernetesProvider: controller,
    workerSliceConfig: {
        sliceType: "Application",
        sliceGatewayProvider: { sliceGatewayType: "OpenVPN", sliceCaType: "Local" },
        qosProfileDetails: {
            queueType: "HTB",
            priority: 1,
            tcType: "BANDWIDTH_CONTROL",
            bandwidthCeilingKbps: 5120,
            bandwidthGuaranteedKbps: 2560,
            dscpClass: "AF11",
        },
    },
});

export const subnets = slice.subnets;
