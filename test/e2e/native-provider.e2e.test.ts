/**
 * 15. The native provider (plugin/, a source-based plugin over the same
 * handlers) from Pulumi YAML, through the real engine, sharing one ledger
 * with stacks on the dynamic provider:
 *   - a platform stack on the dynamic provider (programs/slice) registers the
 *     slice and allocates its clusters;
 *   - a team's YAML stack declares native SubnetAllocations in that slice:
 *     preview, up, no-change preview, add and remove a cluster, drift found by
 *     refresh, `pulumi import` of an allocation the platform stack made
 *     (printing the YAML to declare it), destroy;
 *   - the same with the Kubernetes store, its kubeconfig a secret.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { changesOf, editLedger, plannedChanges, PROGRAMS, Project, readLedger, REPO, Stack, subnetsIn, Workspace } from "./support/engine";

const PLUGIN = path.join(REPO, "plugin");
const NATIVE_ALLOCATION = "kubeslice-ipam:index:SubnetAllocation";
const POOL = "10.40.0.0/16";

/** A team's YAML program: one native SubnetAllocation per cluster in slice "teal". */
function yamlProgram(clusters: readonly string[], store: "file" | "kubernetes", extra = ""): string {
    const storeBlock =
        store === "file"
            ? ["    kind: file", "    directory: ${storeDirectory}"]
            : ["    kind: kubernetes", "    namespace: ${namespace}", "    kubeconfig: ${kubeconfig}"];
    return [
        "name: team-yaml",
        "runtime: yaml",
        "packages:",
        `  kubeslice-ipam: ${PLUGIN}`,
        "config:",
        ...(store === "file"
            ? ["  storeDirectory:", "    type: string"]
            : ["  namespace:", "    type: string", "  kubeconfig:", "    type: string", "    secret: true"]),
        "variables:",
        "  store:",
        ...storeBlock,
        "resources:",
        ...clusters.flatMap((cluster) => [
            `  teal-${cluster}:`,
            "    type: kubeslice-ipam:SubnetAllocation",
            "    properties:",
            "      sliceName: teal",
            `      clusterName: ${cluster}`,
            "      store: ${store}",
        ]),
        extra,
        "outputs:",
        ...(clusters.length === 0 ? ["  none: none"] : clusters.map((cluster) => `  ${cluster}: \${teal-${cluster}.subnet}`)),
        "",
    ].join("\n");
}

describe("the native provider from Pulumi YAML, beside the dynamic provider, file store", () => {
    let workspace: Workspace;
    let store: string;
    let platform: Stack;
    let team: Stack;
    let teamProject: Project;

    beforeAll(async () => {
        workspace = await Workspace.create("native-yaml");
        store = await workspace.directory("store");
        const platformProject = await workspace.program(path.join(PROGRAMS, "slice"), "platform");
        platform = await platformProject.stack("prod", { sliceName: "teal", sliceSubnet: POOL, storeDirectory: store, clusters: ["d-1", "d-2"] });
        await platform.up({ skipPreview: true });
        const dir = await workspace.directory("team-yaml");
        await fs.writeFile(path.join(dir, "Pulumi.yaml"), yamlProgram(["y-1"], "file"));
        teamProject = workspace.project(dir);
        team = await teamProject.stack("dev", { storeDirectory: store });
    });

    afterAll(async () => {
        await workspace?.remove();
    });

    const writeProgram = (clusters: string[], extra?: string) =>
        fs.writeFile(path.join(teamProject.dir, "Pulumi.yaml"), yamlProgram(clusters, "file", extra));

    it("previews the native allocation, then allocates the next free subnet in the shared ledger", async () => {
        const preview = await team.preview();
        expect(plannedChanges(preview)).toEqual([`create ${NATIVE_ALLOCATION} teal-y-1`, "create pulumi:pulumi:Stack team-yaml-dev"]);
        const run = await team.up();
        expect(changesOf(run, NATIVE_ALLOCATION)).toEqual(["create teal-y-1"]);
        expect(await team.outputs()).toEqual({ "y-1": "10.40.2.0/24" });
        expect(subnetsIn(await readLedger(store, "teal"), "Allocated")).toEqual({
            "d-1": "10.40.0.0/24",
            "d-2": "10.40.1.0/24",
            "y-1": "10.40.2.0/24",
        });
        expect((await team.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("keeps no provider code in state", async () => {
        const state = await team.exportText();
        expect(state).not.toContain("__provider");
        const allocation = (await team.resources()).find((r) => r.type === NATIVE_ALLOCATION)!;
        expect(allocation.id).toBe("teal/y-1");
        expect(allocation.outputs).toMatchObject({ sliceName: "teal", clusterName: "y-1", subnet: "10.40.2.0/24", index: 2, status: "Allocated" });
    });

    it("adds a cluster (exactly one create) and removes one (exactly one delete, Released)", async () => {
        await writeProgram(["y-1", "y-2"]);
        expect(changesOf(await team.up(), NATIVE_ALLOCATION)).toEqual(["create teal-y-2"]);
        await writeProgram(["y-2"]);
        expect(changesOf(await team.up(), NATIVE_ALLOCATION)).toEqual(["delete teal-y-1"]);
        const ledger = await readLedger(store, "teal");
        expect(subnetsIn(ledger, "Released")).toEqual({ "y-1": "10.40.2.0/24" });
        expect(subnetsIn(ledger, "Allocated")).toEqual({ "d-1": "10.40.0.0/24", "d-2": "10.40.1.0/24", "y-2": "10.40.3.0/24" });
    });

    it("finds an allocation released out of band with refresh, and up takes it back", async () => {
        await editLedger(store, "teal", (doc) => {
            const entry = doc.allocations.find((a) => a.clusterName === "y-2")!;
            Object.assign(entry, { status: "Released", releasedAt: new Date().toISOString() });
        });
        const refresh = await team.refresh();
        expect(changesOf(refresh, NATIVE_ALLOCATION)).toEqual(["update teal-y-2"]);
        expect(changesOf(await team.up(), NATIVE_ALLOCATION)).toEqual(["update teal-y-2"]);
        expect(subnetsIn(await readLedger(store, "teal"), "Allocated")["y-2"]).toBe("10.40.3.0/24");
    });

    it("imports an allocation the platform stack made, printing the YAML that declares it", async () => {
        const run = await teamProject.run(["import", NATIVE_ALLOCATION, "teal-d-1", `teal/d-1@file:${store}`, "--yes", "--stack", "dev"], {
            allowFailure: true,
        });
        expect(run.code, run.stderr + run.stdout).toBe(0);
        expect(run.stdout).toContain("1 imported");
        // The code to paste: the allocation's identity and store, as inputs.
        expect(run.stdout).toMatch(
            /teal-d-1:\n\s+type: kubeslice-ipam:SubnetAllocation\n\s+properties:\n\s+clusterName: d-1\n\s+sliceName: teal\n\s+store:\n\s+directory: \S+\n\s+kind: file/,
        );
        const imported = (await team.resources()).find((r) => r.urn.endsWith("::teal-d-1"))!;
        expect(imported).toMatchObject({ id: "teal/d-1", protect: true, outputs: { subnet: "10.40.0.0/24", status: "Allocated" } });

        // Declared as printed, the next preview changes nothing.
        await writeProgram(["y-2", "d-1"], "");
        expect((await team.preview({ expectNoChanges: true })).code).toBe(0);
        // Hand it back to the platform stack without releasing it: forget it here.
        await writeProgram(["y-2"]);
        await teamProject.run(["state", "delete", imported.urn, "--force", "--yes", "--stack", "dev"]);
        expect(subnetsIn(await readLedger(store, "teal"), "Allocated")["d-1"]).toBe("10.40.0.0/24");
    });

    it("takes over an allocation by declaring it: create adopts the cluster's subnet (how a stack moves between routes)", async () => {
        await writeProgram(["y-2", "d-2"]);
        const run = await team.up();
        expect(changesOf(run, NATIVE_ALLOCATION)).toEqual(["create teal-d-2"]);
        expect((await team.outputs())["d-2"]).toBe("10.40.1.0/24");
        const ledger = await readLedger(store, "teal");
        expect(ledger.allocations.filter((a) => a.clusterName === "d-2")).toHaveLength(1);
        // Hand it back: forget it here, releasing nothing.
        const adopted = (await team.resources()).find((r) => r.urn.endsWith("::teal-d-2"))!;
        await writeProgram(["y-2"]);
        await teamProject.run(["state", "delete", adopted.urn, "--force", "--yes", "--stack", "dev"]);
        expect(subnetsIn(await readLedger(store, "teal"), "Allocated")["d-2"]).toBe("10.40.1.0/24");
    });

    it("destroys the team's allocations only, and the platform's destroy unregisters the slice", async () => {
        expect((await team.destroy()).summary.result).toBe("succeeded");
        const ledger = await readLedger(store, "teal");
        expect(subnetsIn(ledger, "Allocated")).toEqual({ "d-1": "10.40.0.0/24", "d-2": "10.40.1.0/24" });
        expect(subnetsIn(ledger, "Released")).toMatchObject({ "y-2": "10.40.3.0/24" });
        expect((await platform.destroy()).summary.result).toBe("succeeded");
    });
});

describe("the native provider from Pulumi YAML, Kubernetes store", () => {
    let server: TestApiServer;
    let workspace: Workspace;
    let team: Stack;
    let project: Project;
    const namespace = `native-${randomBytes(3).toString("hex")}`;

    beforeAll(async () => {
        server = await startTestApiServer([path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml")]);
        workspace = await Workspace.create("native-yaml-k8s");
        const dir = await workspace.directory("team-yaml");
        const extra = [
            "  teal:",
            "    type: kubeslice-ipam:SliceIpam",
            "    properties:",
            "      sliceName: teal",
            `      sliceSubnet: ${POOL}`,
            "      store: ${store}",
        ].join("\n");
        // The slice first: allocations name it, so the engine orders them after it.
        const program = yamlProgram(["k-1", "k-2"], "kubernetes", extra).replace(
            /sliceName: teal\n(\s+)clusterName/g,
            "sliceName: ${teal.sliceName}\n$1clusterName",
        );
        await fs.writeFile(path.join(dir, "Pulumi.yaml"), program);
        project = workspace.project(dir);
        team = await project.stack("dev", { namespace });
        await team.setSecret("kubeconfig", server.kubeconfig);
    });

    afterAll(async () => {
        await workspace?.remove();
        await server?.stop();
    });

    it("registers the slice and allocates in the cluster's SliceIpam, the kubeconfig secret in state", async () => {
        const run = await team.up();
        expect(run.summary.result).toBe("succeeded");
        // The two creates run in parallel: which cluster gets the first subnet is the engine's order.
        const outputs = await team.outputs();
        expect(Object.values(outputs).sort()).toEqual(["10.40.0.0/24", "10.40.1.0/24"]);
        const loaded = await new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig }).load("teal");
        expect(Object.fromEntries(loaded!.ledger.allocations.map((a) => [a.clusterName, a.subnet]))).toEqual(outputs);
        const state = await team.exportText();
        expect(state).not.toContain(/client-key-data: (\S+)/.exec(server.kubeconfig)![1]);
        expect(state).not.toContain("client-key-data");
        expect((await team.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("destroys everything: allocations released, then the slice unregistered", async () => {
        expect((await team.destroy()).summary.result).toBe("succeeded");
        expect(await new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig }).load("teal")).toBeUndefined();
        expect(await team.resources()).toEqual([]);
    });
});
