export { KubeSliceIpam } from "./kubeslice-ipam";
export type { ClusterAllocation, KubeSliceIpamArgs } from "./kubeslice-ipam-args";
export {
    controllerLabels,
    renderManifestYaml,
    workerSliceConfig,
    workerSliceConfigName,
    WORKER_SLICE_CONFIG_API_VERSION,
    WORKER_SLICE_CONFIG_KIND,
} from "./worker-slice-config";
export type { WorkerSliceConfigExtras, WorkerSliceConfigManifest, WorkerSliceConfigParams } from "./worker-slice-config";
