/**
 * `slice-ipam` reading the Kubernetes store: the built CLI as a child
 * process against a real API server (test/kube-apiserver), with the store
 * named by --store kubernetes --namespace --kubeconfig, as the resources'
 * `store` input names it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { withHistoryActor } from "../../provider/store/history-context";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { findRepoRoot } from "../support/provider-host";
import { sampleValue, samplesOf } from "../support/prometheus-text";

const CLI = path.join(findRepoRoot(__dirname), "dist", "bin", "slice-ipam.js");
const CRD = path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml");
const NOW = "2025-11-19T15:30:00Z";
const clockAt = (iso: string) => () => new Date(iso);

let server: TestApiServer;
const namespace = `ns-${randomBytes(4).toString("hex")}`;

// First run on a machine builds the server from the Go module proxy: minutes.
beforeAll(async () => {
    server = await startTestApiServer([CRD]);
    const store = new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });
    // A fixed actor: the history is on the head, and STORE USE below counts its bytes on any machine alike.
    await withHistoryActor({ via: "library", user: "operator", host: "workstation" }, async () => {
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "my-slice", sliceSubnet: "10.1.0.0/16" }), clockAt("2025-11-19T10:00:00Z"));
        await allocateSubnet(store, "my-slice", "cluster-1", clockAt("2025-11-19T10:00:00Z"));
        await allocateSubnet(store, "my-slice", "cluster-2", clockAt("2025-11-19T10:05:00Z"));
        await releaseSubnet(store, "my-slice", "cluster-2", clockAt("2025-11-19T14:00:00Z"));
    });
}, 1_200_000);
afterAll(async () => {
    await server?.stop();
});

function sliceIpam(args: readonly string[], ns = namespace): Promise<{ code: number; stdout: string; stderr: string }> {
    const storeArgs = ["--store", "kubernetes", "--namespace", ns, "--kubeconfig", server.kubeconfigPath];
    return new Promise((resolve) =>
        execFile(process.execPath, [CLI, ...args, ...storeArgs], { cwd: "/", timeout: 30_000 }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
        ),
    );
}

describe("slice-ipam with the Kubernetes store", () => {
    it("sync-usage on a cluster without the WorkerSliceConfig CRD says usage cannot be observed there (exit 3)", async () => {
        const run = await sliceIpam(["sync-usage"]);
        expect(run.code).toBe(3);
        expect(run.stderr).toMatch(
            /^error: Kubernetes store .* has no WorkerSliceConfig resource type \(workersliceconfigs\.worker\.kubeslice\.io\), so the usage of slice "my-slice" cannot be observed there/,
        );
    });

    it("lists the SliceIpam objects of the namespace", async () => {
        const run = await sliceIpam(["status", "--now", NOW]);
        expect(run).toMatchObject({ code: 0, stderr: "" });
        expect(run.stdout).toBe(
            "NAME       SLICE SUBNET   SUBNET SIZE   AVAILABLE   TOTAL   UTILIZATION   AGE     STORE USE\n" +
                "my-slice   10.1.0.0/16    24            254         256     0.4%          5h30m   0.5%\n",
        );
    });

    it("shows allocations, checks clusters and exports metrics from the same objects", async () => {
        const shown = await sliceIpam(["show", "my-slice", "--now", NOW]);
        expect(shown.stdout).toMatch(/^cluster-2 +10\.1\.1\.0\/24 +Released +2025-11-19T10:05:00Z +2025-11-19T14:00:00Z +22h$/m);
        expect((await sliceIpam(["check", "my-slice", "--clusters", "cluster-1"])).code).toBe(0);
        expect((await sliceIpam(["check", "my-slice", "--clusters", "cluster-1,cluster-2"])).code).toBe(1);
        const samples = samplesOf((await sliceIpam(["metrics", "--now", NOW])).stdout);
        expect(sampleValue(samples, "ipam_allocations_total", { slice: "my-slice", status: "success" })).toBe(2);
        expect(sampleValue(samples, "ipam_releases_total", { slice: "my-slice" })).toBe(1);
    });

    it("exits 4 for a slice the namespace does not hold, naming the store", async () => {
        const run = await sliceIpam(["show", "blue"]);
        expect(run.code).toBe(4);
        expect(run.stderr).toContain(`slice "blue" is not registered in Kubernetes store`);
        expect(run.stderr).toContain(`namespace ${namespace}. It holds: my-slice.`);
    });

    it("exits 3 for a missing kubeconfig file", async () => {
        const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
            execFile(
                process.execPath,
                [CLI, "status", "--store", "kubernetes", "--namespace", namespace, "--kubeconfig", "/no/such/kubeconfig"],
                (error, _out, stderr) => resolve({ code: Number((error as { code?: number } | null)?.code ?? 0), stderr }),
            ),
        );
        expect(run.code).toBe(3);
        expect(run.stderr).toContain("cannot read kubeconfig /no/such/kubeconfig");
    });

    it("exits 3 when the cluster has no SliceIpam CRD", async () => {
        const extensions = server.config.makeApiClient(server.client.ApiextensionsV1Api);
        await extensions.deleteCustomResourceDefinition({ name: "sliceipams.controller.kubeslice.io" });
        let run = await sliceIpam(["status"]);
        for (let attempt = 0; run.code !== 3 && attempt < 50; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 200)); // the CRD is Terminating until its objects are gone
            run = await sliceIpam(["status"]);
        }
        expect(run.code).toBe(3);
        expect(run.stderr).toContain(
            "has no SliceIpam resource type (sliceipams.controller.kubeslice.io): install deploy/kubernetes/sliceipam-crd.yaml",
        );
    });
});
