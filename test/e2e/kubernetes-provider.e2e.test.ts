/**
 * 14. examples/kubernetes through the real pulumi-kubernetes provider
 * (test/pulumi-kubernetes) against a real API server holding the vendored
 * WorkerSliceConfig CRD: the server validates every object the provider
 * applies, and the Kubernetes store keeps the ledger in the same server.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { EXAMPLES, plannedChanges, Project, REPO, resourceEvents, Stack, Workspace } from "./support/engine";

const WORKER_CRD = path.join(REPO, "test/fixtures/kubeslice-crds/pr-284-dynamic-ipam/worker.kubeslice.io_workersliceconfigs.yaml");
const SLICE_IPAM_CRD = path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml");
// The example's namespace; the test server serves no core API, so it needs no Namespace object.
const NAMESPACE = "kubeslice-cisco";
const WSC = { group: "worker.kubeslice.io", version: "v1alpha1", namespace: NAMESPACE, plural: "workersliceconfigs" };
const WSC_TYPE = "kubernetes:worker.kubeslice.io/v1alpha1:WorkerSliceConfig";

let server: TestApiServer;
let objects: k8s.CustomObjectsApi;
let workspace: Workspace;
let project: Project;
let stack: Stack;

beforeAll(async () => {
    server = await startTestApiServer([SLICE_IPAM_CRD, WORKER_CRD]);
    objects = server.config.makeApiClient(server.client.CustomObjectsApi);
    workspace = await Workspace.create(`kubernetes-provider-${randomBytes(2).toString("hex")}`);
    project = await workspace.program(path.join(EXAMPLES, "kubernetes"));
    stack = await project.stack("dev");
    await stack.setSecret("kubeconfig", server.kubeconfig);
});

afterAll(async () => {
    await workspace?.remove();
    await server?.stop();
});

/** cluster → spec.clusterSubnetCIDR of the WorkerSliceConfigs the server holds. */
async function appliedSubnets(): Promise<Record<string, string>> {
    const list = (await objects.listNamespacedCustomObject(WSC)) as { items: { metadata: { name: string }; spec: { clusterSubnetCIDR: string } }[] };
    return Object.fromEntries(list.items.map((item) => [item.metadata.name.replace(/^blue-/, ""), item.spec.clusterSubnetCIDR]));
}

const ledgerSubnets = async (status: string) => {
    const loaded = await new KubernetesLedgerStore({ namespace: NAMESPACE, kubeconfig: server.kubeconfig }).load("blue");
    return Object.fromEntries((loaded?.ledger.allocations ?? []).filter((a) => a.status === status).map((a) => [a.clusterName, a.subnet]));
};

/** `op type name` of every step the engine carried out, for one type. */
const steps = (run: Awaited<ReturnType<Stack["up"]>>, type: string) =>
    resourceEvents(run.events)
        .filter((e) => e.kind === "outputs" && e.meta.type === type && e.meta.op !== "same")
        .map((e) => `${e.meta.op} ${e.meta.urn.slice(e.meta.urn.lastIndexOf("::") + 2)}`);

describe("examples/kubernetes with the real pulumi-kubernetes provider", () => {
    it("applies both WorkerSliceConfigs, accepted by the server against the vendored CRD, and keeps the ledger beside them", async () => {
        const run = await stack.up();
        expect(run.summary.result).toBe("succeeded");
        expect(steps(run, WSC_TYPE).sort()).toEqual(["create blue-worker-1", "create blue-worker-2"]);
        expect(await appliedSubnets()).toEqual({ "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" });
        expect(await ledgerSubnets("Allocated")).toEqual({ "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" });
        const applied = (await objects.getNamespacedCustomObject({ ...WSC, name: "blue-worker-1" })) as Record<string, any>;
        expect(applied.metadata.labels).toMatchObject({ "worker-cluster": "worker-1", "original-slice-name": "blue" });
        expect(applied.metadata.annotations).toMatchObject({ "pulumi.com/deletionPropagationPolicy": "background", "pulumi.com/patchForce": "true" });
        expect(applied.spec).toMatchObject({
            sliceName: "blue",
            sliceSubnet: "10.2.0.0/16",
            clusterSubnetCIDR: "10.2.0.0/24",
            sliceIpamType: "Dynamic",
        });
    });

    it("previews no changes on the next run", async () => {
        const preview = await stack.preview({ expectNoChanges: true });
        expect(preview.code).toBe(0);
        expect(plannedChanges(preview)).toEqual([]);
    });

    it("keeps the kubeconfig out of `pulumi stack export`", async () => {
        const state = await stack.exportText();
        const clientKey = /client-key-data: (\S+)/.exec(server.kubeconfig)![1];
        const clientCert = /client-certificate-data: (\S+)/.exec(server.kubeconfig)![1];
        expect(state).toContain(WSC_TYPE);
        expect(state).not.toContain(clientKey);
        expect(state).not.toContain(clientCert);
        expect(state).not.toContain("client-key-data");
    });

    it("adds a cluster: exactly one WorkerSliceConfig created", async () => {
        await stack.setConfig({ clusters: ["worker-1", "worker-2", "worker-3"] });
        const run = await stack.up();
        expect(steps(run, WSC_TYPE)).toEqual(["create blue-worker-3"]);
        expect(await appliedSubnets()).toEqual({ "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24", "worker-3": "10.2.2.0/24" });
    });

    it("moves an allocation to InUse when its worker reports connected pods, on `pulumi up --refresh`", async () => {
        // What the worker operator does: status through the status subresource.
        const current = (await objects.getNamespacedCustomObject({ ...WSC, name: "blue-worker-1" })) as Record<string, any>;
        const connectedAppPods = [{ podName: "cart-0", podNamespace: "shop", podIp: "10.244.0.7", nsmInterface: "nsm0", nsmIp: "10.2.0.5" }];
        await objects.replaceNamespacedCustomObjectStatus({ ...WSC, name: "blue-worker-1", body: { ...current, status: { connectedAppPods } } });

        const run = await project.run(["up", "--yes", "--refresh", "--json", "--stack", "dev"]);
        expect(run.code).toBe(0);
        expect(await ledgerSubnets("InUse")).toEqual({ "worker-1": "10.2.0.0/24" });
        expect(await ledgerSubnets("Allocated")).toEqual({ "worker-2": "10.2.1.0/24", "worker-3": "10.2.2.0/24" });
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("removes a cluster: exactly one WorkerSliceConfig deleted, its subnet Released", async () => {
        await stack.setConfig({ clusters: ["worker-1", "worker-3"] });
        const run = await stack.up();
        expect(steps(run, WSC_TYPE)).toEqual(["delete blue-worker-2"]);
        expect(await appliedSubnets()).toEqual({ "worker-1": "10.2.0.0/24", "worker-3": "10.2.2.0/24" });
        expect(await ledgerSubnets("Released")).toEqual({ "worker-2": "10.2.1.0/24" });
    });

    it("finds an out-of-band edit with refresh, and the next up puts the subnet back", async () => {
        // As `kubectl edit` would: another field manager now owns the subnet field.
        const current = (await objects.getNamespacedCustomObject({ ...WSC, name: "blue-worker-3" })) as Record<string, any>;
        current.spec.clusterSubnetCIDR = "10.2.99.0/24";
        await objects.replaceNamespacedCustomObject({ ...WSC, name: "blue-worker-3", body: current, fieldManager: "kubectl-edit" });

        const refresh = await stack.refresh();
        expect(refresh.summary.result).toBe("succeeded");
        expect(steps(refresh, WSC_TYPE)).toEqual(["update blue-worker-3"]);

        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual([`update ${WSC_TYPE} blue-worker-3`]);
        expect((await stack.up()).summary.result).toBe("succeeded");
        expect((await appliedSubnets())["worker-3"]).toBe("10.2.2.0/24");
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("destroys everything: no WorkerSliceConfig, no ledger, no resource left", async () => {
        const run = await stack.destroy();
        expect(run.summary.result).toBe("succeeded");
        expect(await appliedSubnets()).toEqual({});
        expect(await new KubernetesLedgerStore({ namespace: NAMESPACE, kubeconfig: server.kubeconfig }).load("blue")).toBeUndefined();
        expect(await stack.resources()).toEqual([]);
    });
});
