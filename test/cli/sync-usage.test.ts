/**
 * `slice-ipam sync-usage`, `show`, `check` and `metrics` on a slice whose
 * worker reports connected pods: the built CLI as a child process against a
 * real API server with the vendored WorkerSliceConfig CRD.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerSliceConfig } from "../../components/worker-slice-config";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { WORKER_SLICE_CONFIG_RESOURCE } from "../../provider/store/worker-slice-usage";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { findRepoRoot } from "../support/provider-host";
import { sampleValue, samplesOf } from "../support/prometheus-text";

const REPO = findRepoRoot(__dirname);
const CLI = path.join(REPO, "dist", "bin", "slice-ipam.js");
const CRD = path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml");
const WORKER_CRD = path.join(REPO, "test/fixtures/kubeslice-crds/pr-284-dynamic-ipam/worker.kubeslice.io_workersliceconfigs.yaml");
const NAMESPACE = "kubeslice-cisco";
const NOW = "2025-11-19T15:30:00Z";
const clockAt = (iso: string) => () => new Date(iso);

let server: TestApiServer;

beforeAll(async () => {
    server = await startTestApiServer([CRD, WORKER_CRD]);
    const store = new KubernetesLedgerStore({ namespace: NAMESPACE, kubeconfig: server.kubeconfig });
    await registerSlice(store, sliceSpecSchema.parse({ sliceName: "my-slice", sliceSubnet: "10.1.0.0/16" }), clockAt("2025-11-19T10:00:00Z"));
    const objects = server.config.makeApiClient(server.client.CustomObjectsApi);
    for (const [clusterName, at] of [
        ["cluster-1", "10:00"],
        ["cluster-2", "10:05"],
        ["cluster-3", "10:10"],
    ]) {
        const { allocation } = await allocateSubnet(store, "my-slice", clusterName, clockAt(`2025-11-19T${at}:00Z`));
        if (clusterName === "cluster-3") {
            continue; // its worker has not received a WorkerSliceConfig yet
        }
        const body = workerSliceConfig({
            sliceName: "my-slice",
            namespace: NAMESPACE,
            sliceSubnet: "10.1.0.0/16",
            clusterName,
            subnet: allocation.subnet,
            index: allocation.index,
        });
        await objects.createNamespacedCustomObject({ ...WORKER_SLICE_CONFIG_RESOURCE, namespace: NAMESPACE, body });
    }
    // The worker operator of cluster-1 connected two application pods (one entry it wrote names no pod).
    const current = (await objects.getNamespacedCustomObject({
        ...WORKER_SLICE_CONFIG_RESOURCE,
        namespace: NAMESPACE,
        name: "my-slice-cluster-1",
    })) as any;
    const pods = ["cart-0", "cart-1"].map((podName, i) => ({
        podName,
        podNamespace: "shop",
        podIp: `10.244.1.${i + 5}`,
        nsmInterface: "nsm0",
        nsmIp: `10.1.0.${i + 2}`,
    }));
    await objects.replaceNamespacedCustomObjectStatus({
        ...WORKER_SLICE_CONFIG_RESOURCE,
        namespace: NAMESPACE,
        name: "my-slice-cluster-1",
        body: { ...current, status: { connectedAppPods: [...pods, { nsmIp: "10.1.0.9" }], onboardedAppNamespaces: [{ name: "shop" }] } },
    });
}, 1_200_000);
afterAll(async () => {
    await server?.stop();
});

function sliceIpam(args: readonly string[], storeArgs = ["--store", "kubernetes", "--namespace", NAMESPACE, "--kubeconfig", server.kubeconfigPath]) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [CLI, ...args, ...storeArgs], { cwd: "/", timeout: 30_000 }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
        ),
    );
}

describe("slice-ipam sync-usage", () => {
    it("shows what it would do with --dry-run, then marks the cluster with connected pods InUse", async () => {
        const ignored =
            'warning: slice "my-slice", cluster "cluster-1": WorkerSliceConfig my-slice-cluster-1 lists entries that name no pod; ' +
            "not counted: connectedAppPods[2]: podName is missing\n";
        const table = (result1: string) =>
            "SLICE      CLUSTER     SUBNET        STATUS      PODS   RESULT\n" +
            `my-slice   cluster-1   10.1.0.0/24   InUse       2      ${result1}\n` +
            "my-slice   cluster-2   10.1.1.0/24   Allocated   0      no connected pods\n" +
            "my-slice   cluster-3   10.1.2.0/24   Allocated   -      no WorkerSliceConfig my-slice-cluster-3\n";
        const dry = await sliceIpam(["sync-usage", "--dry-run"]);
        expect(dry).toEqual({ code: 0, stdout: table("would mark InUse"), stderr: ignored });
        expect((await sliceIpam(["show", "my-slice", "--now", NOW])).stdout).not.toContain("InUse");

        const synced = await sliceIpam(["sync-usage", "my-slice"]);
        expect(synced).toEqual({ code: 0, stdout: table("marked InUse"), stderr: ignored });
        const again = await sliceIpam(["sync-usage", "my-slice", "-o", "json"]);
        expect(JSON.parse(again.stdout)[0].clusters[0]).toMatchObject({
            clusterName: "cluster-1",
            outcome: "in-use",
            status: "InUse",
            connectedPods: 2,
        });
    });

    it("then show, check and metrics report InUse", async () => {
        await sliceIpam(["sync-usage"]);
        const shown = await sliceIpam(["show", "my-slice", "--now", NOW]);
        expect(shown.stdout).toBe(
            "CLUSTER     SUBNET        STATUS      ALLOCATED              RELEASED   GRACE LEFT\n" +
                "cluster-1   10.1.0.0/24   InUse       2025-11-19T10:00:00Z   -          -\n" +
                "cluster-2   10.1.1.0/24   Allocated   2025-11-19T10:05:00Z   -          -\n" +
                "cluster-3   10.1.2.0/24   Allocated   2025-11-19T10:10:00Z   -          -\n",
        );
        const checked = await sliceIpam(["check", "my-slice", "--clusters", "cluster-1,cluster-2,cluster-3"]);
        expect(checked.code).toBe(0);
        expect(checked.stdout).toContain("cluster-1   yes        InUse       10.1.0.0/24   ok\n");
        const samples = samplesOf((await sliceIpam(["metrics"])).stdout);
        expect(sampleValue(samples, "ipam_inuse_subnets", { slice: "my-slice" })).toBe(1);
        expect(sampleValue(samples, "ipam_allocated_subnets", { slice: "my-slice" })).toBe(3);
    });

    it("refuses the file store, saying plainly that usage is not observed there", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-sync-"));
        const run = await sliceIpam(["sync-usage"], ["--store-dir", dir]);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(
            /^error: sync-usage reads the WorkerSliceConfigs of the KubeSlice controller cluster, and file store .* has none: with rendered manifests only, usage is not observed and allocations stay Allocated\./,
        );
    });

    it("names an unknown slice (exit 4)", async () => {
        const run = await sliceIpam(["sync-usage", "nope"]);
        expect(run.code).toBe(4);
        expect(run.stderr).toContain('slice "nope" is not registered');
    });
});
