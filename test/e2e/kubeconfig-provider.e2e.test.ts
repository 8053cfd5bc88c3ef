/**
 * Upgrading a Kubernetes-store stack whose store input carries a secret
 * kubeconfig (test/e2e/programs/cluster-store), made by the last version
 * that kept the kubeconfig in every resource's inputs and outputs. After the
 * upgrade the component's children take it from a provider of their own:
 * nothing is replaced or re-allocated, every child is updated in place, the
 * kubeconfig is in the state once, a rotated kubeconfig updates that
 * provider alone, and deletes and destroy reach the cluster through it.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { buildPackageAt, CURRENT_PACKAGE, installPackage } from "../support/installed-package";
import { ALLOCATION_TYPE, PROGRAMS, Project, ResourceState, SLICE_TYPE, Stack, Workspace } from "./support/engine";

/** The last commit whose component passed the store's kubeconfig to each child. */
const KUBECONFIG_IN_INPUT_COMMIT = "76ba4dda430b2954656799432183d29819d46dcd";
const PROVIDER_TYPE = "pulumi:providers:pulumi-nodejs";
const CLUSTERS = ["w-1", "w-2", "w-3"];

let server: TestApiServer;
let workspace: Workspace;
let project: Project;
let stack: Stack;
const namespace = `e2e-${randomBytes(3).toString("hex")}`;
let before: { subnets: Record<string, string>; resources: ResourceState[]; stateBytes: number };

const clusterStore = () => new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });
const children = (resources: ResourceState[]) => resources.filter((r) => [SLICE_TYPE, ALLOCATION_TYPE].includes(r.type));
const ledgerEntries = async () =>
    (await clusterStore().load("blue"))!.ledger.allocations.map((a) => [a.clusterName, a.subnet, a.status, a.allocatedAt]);

beforeAll(async () => {
    server = await startTestApiServer([path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml")]);
    workspace = await Workspace.create("kubeconfig-provider");
    project = await workspace.program(path.join(PROGRAMS, "cluster-store"));
    await installPackage(await buildPackageAt(KUBECONFIG_IN_INPUT_COMMIT, path.join(workspace.dir, "package-old")), project.dir);
    stack = await project.stack("dev", { namespace, clusters: CLUSTERS });
    await stack.setSecret("kubeconfig", server.kubeconfig);
    const run = await stack.up({ skipPreview: true });
    expect(run.summary.result).toBe("succeeded");
    before = {
        subnets: (await stack.outputs()).subnets,
        resources: await stack.resources({ showSecrets: true }),
        stateBytes: (await stack.exportText()).length,
    };
}, 600_000);

afterAll(async () => {
    await workspace?.remove();
    await server?.stop();
});

describe("a stack that kept the kubeconfig in every child, after upgrading the package", () => {
    it("started with the kubeconfig in each child's inputs and outputs, served by the default provider", () => {
        const old = children(before.resources);
        expect(old).toHaveLength(1 + CLUSTERS.length);
        for (const resource of old) {
            expect(resource.inputs!.store.kubeconfig).toBe(server.kubeconfig);
            expect(resource.outputs!.store.kubeconfig).toBe(server.kubeconfig);
            expect(resource.provider).toMatch(/::pulumi:providers:pulumi-nodejs::default(_[0-9_]+)?::/);
        }
    });

    it("previews an update of each child and the new provider's creation: no replacement, no delete", async () => {
        await installPackage(CURRENT_PACKAGE, project.dir);
        const preview = await stack.preview();
        expect(preview.code).toBe(0);
        const operations = preview.steps.map((step) => [step.op, step.urn.split("::").pop()]).filter(([op]) => op !== "same");
        expect(operations.sort()).toEqual(
            [["create", "blue-store"], ["update", "blue"], ...CLUSTERS.map((cluster) => ["update", `blue-${cluster}`])].sort(),
        );
    });

    it("moves each child to the provider in place: same subnets and ledger, the kubeconfig held once", async () => {
        const entries = await ledgerEntries();
        const run = await stack.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        expect(run.summary.resourceChanges).toMatchObject({ create: 1, update: 1 + CLUSTERS.length });
        expect(run.summary.resourceChanges).not.toHaveProperty("replace");
        expect(run.summary.resourceChanges).not.toHaveProperty("delete");
        expect((await stack.outputs()).subnets).toEqual(before.subnets);
        expect(await ledgerEntries()).toEqual(entries);

        const resources = await stack.resources({ showSecrets: true });
        const provider = resources.find((r) => r.type === PROVIDER_TYPE && r.urn.endsWith("::blue-store"))!;
        expect(provider.inputs!["kubeslice-ipam:kubeconfig"]).toBe(server.kubeconfig);
        const serverUrl = /server: (\S+)/.exec(server.kubeconfig)![1];
        for (const resource of children(resources)) {
            expect(resource.provider).toBe(`${provider.urn}::${provider.id}`);
            for (const store of [resource.inputs!.store, resource.outputs!.store]) {
                expect(store).toEqual({ kind: "kubernetes", namespace, kubeconfigFrom: "provider", server: serverUrl });
            }
        }
        // Decrypted, the kubeconfig is in one resource only: the provider.
        const clientKey = /client-key-data: (\S+)/.exec(server.kubeconfig)![1];
        const holding = resources.filter((r) => JSON.stringify(r).includes(clientKey)).map((r) => [r.type, r.urn.split("::").pop()]);
        expect(holding).toEqual([[PROVIDER_TYPE, "blue-store"]]);
        expect((await stack.exportText()).length).toBeLessThan(before.stateBytes);
    });

    it("previews no changes afterwards", async () => {
        const preview = await stack.preview({ expectNoChanges: true });
        expect(preview.code).toBe(0);
    });

    it("a rotated kubeconfig updates the provider alone", async () => {
        await stack.setSecret("kubeconfig", `${server.kubeconfig}\n# rotated ${randomBytes(4).toString("hex")}\n`);
        const preview = await stack.preview();
        const changed = preview.steps.filter((step) => step.op !== "same").map((step) => [step.op, step.urn.split("::").pop()]);
        expect(changed).toEqual([["update", "blue-store"]]);
        const run = await stack.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        expect(run.summary.resourceChanges).toMatchObject({ update: 1 });
    });

    it("a cluster that leaves is released through the provider's kubeconfig", async () => {
        await stack.setConfig({ clusters: ["w-1", "w-3"] });
        const run = await stack.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        expect(run.summary.resourceChanges).toMatchObject({ delete: 1 });
        const statuses = Object.fromEntries((await ledgerEntries()).map(([cluster, subnet, status]) => [cluster, [subnet, status]]));
        expect(statuses).toEqual({
            "w-1": [before.subnets["w-1"], "Allocated"],
            "w-2": [before.subnets["w-2"], "Released"],
            "w-3": [before.subnets["w-3"], "Allocated"],
        });
    });

    it("destroy releases the rest and removes the SliceIpam, the provider last", async () => {
        const run = await stack.destroy();
        expect(run.summary.result).toBe("succeeded");
        expect(await clusterStore().load("blue")).toBeUndefined();
        expect(await stack.resources()).toEqual([]);
    });
});
