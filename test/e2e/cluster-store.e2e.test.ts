/**
 * The Kubernetes store with the real engine: a stack whose store input
 * carries a secret kubeconfig allocates in a real API server
 * (test/kube-apiserver), and the kubeconfig never reaches the state in
 * plain text.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { ALLOCATION_TYPE, PROGRAMS, Project, Stack, Workspace } from "./support/engine";

let server: TestApiServer;
let workspace: Workspace;
let project: Project;
let stack: Stack;
const namespace = `e2e-${randomBytes(3).toString("hex")}`;

beforeAll(async () => {
    server = await startTestApiServer([path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml")]);
    workspace = await Workspace.create("cluster-store");
    project = await workspace.program(path.join(PROGRAMS, "cluster-store"));
    stack = await project.stack("dev", { namespace, clusters: ["worker-1", "worker-2"] });
    await stack.setSecret("kubeconfig", server.kubeconfig);
});

afterAll(async () => {
    await workspace?.remove();
    await server?.stop();
});

const clusterStore = () => new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });

describe("the Kubernetes store with the real engine", () => {
    it("allocates in the cluster's SliceIpam, keeping the kubeconfig secret in state", async () => {
        const run = await stack.up();
        expect(run.summary.result).toBe("succeeded");
        expect((await stack.outputs()).subnets).toEqual({ "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" });
        const ledger = (await clusterStore().load("blue"))!.ledger;
        expect(ledger.allocations.map((a) => [a.clusterName, a.subnet])).toEqual([
            ["worker-1", "10.2.0.0/24"],
            ["worker-2", "10.2.1.0/24"],
        ]);
        const state = await stack.exportText();
        const clientKey = /client-key-data: (\S+)/.exec(server.kubeconfig)![1];
        expect(state).toContain("kubeslice-ipam:SubnetAllocation");
        expect(state).not.toContain(clientKey);
        expect(state).not.toContain("client-key-data");
        // Decrypted: once, in the configuration of the component's own provider; its children name the server only.
        const resources = await stack.resources({ showSecrets: true });
        const holding = resources.filter((r) => JSON.stringify(r).includes(clientKey)).map((r) => [r.type, r.urn.split("::").pop()]);
        expect(holding).toEqual([["pulumi:providers:pulumi-nodejs", "blue-store"]]);
        // Readable without decrypting anything: the children's store input holds no credentials.
        const allocation = (await stack.resources()).find((r) => r.type === ALLOCATION_TYPE)!;
        const store = { kind: "kubernetes", namespace, kubeconfigFrom: "provider", server: /server: (\S+)/.exec(server.kubeconfig)![1] };
        expect([allocation.inputs!.store, allocation.outputs!.store]).toEqual([store, store]);
    });

    it("previews no changes afterwards, and destroy removes the SliceIpam", async () => {
        const preview = await stack.preview({ expectNoChanges: true });
        expect(preview.code).toBe(0);
        const run = await stack.destroy();
        expect(run.summary.result).toBe("succeeded");
        expect(await clusterStore().load("blue")).toBeUndefined();
    });
});
