/**
 * 18. The KubeSliceIpam component from Pulumi YAML, served by the native
 * provider's `construct` (plugin/): the TypeScript component itself, its
 * children the plugin's own SliceIpam, SubnetAllocation and ManifestFile.
 * Through the real engine:
 *   - preview (planned subnets in requestedSubnet and the component's
 *     outputs), up, no-change preview, no provider code in state; add a
 *     cluster (exactly one create), remove one (exactly one delete, Released
 *     in the ledger); invalid arguments refused with the slice and clusters
 *     named, nothing written; destroy;
 *   - one ledger with the TypeScript dynamic component (programs/slice): both
 *     stacks allocating in one slice in parallel, no subnet held twice;
 *   - a stack moved from the TypeScript dynamic component to this route
 *     without re-addressing any cluster (README: Moving a stack);
 *   - the Kubernetes store, its kubeconfig a secret;
 *   - a check failure while the component's construct is in flight (its own
 *     child's, or an unrelated resource's): one error, on the resource at
 *     fault, no "grpc: the client connection is closing" on the component.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import {
    changesOf,
    COMPONENT_TYPE,
    type Diagnostic,
    diagnosticsOf,
    exists,
    heldTwice,
    plannedChanges,
    problems,
    PROGRAMS,
    Project,
    readLedger,
    REPO,
    resourceEvents,
    sliceIsGone,
    Stack,
    stepFor,
    subnetsIn,
    Workspace,
} from "./support/engine";

const PLUGIN = path.join(REPO, "plugin");
const NATIVE_SLICE = "kubeslice-ipam:index:SliceIpam";
const NATIVE_ALLOCATION = "kubeslice-ipam:index:SubnetAllocation";
const NATIVE_MANIFEST = "kubeslice-ipam:index:ManifestFile";

interface ComponentProgram {
    /** Default team-component. */
    readonly project?: string;
    readonly sliceName: string;
    readonly sliceSubnet: string;
    readonly clusters: readonly string[];
    readonly store: "file" | "kubernetes";
    readonly pinnedSubnets?: Record<string, string>;
    readonly manifestsDirectory?: string;
    /** More resources of the program, as YAML lines under `resources:`. */
    readonly otherResources?: readonly string[];
}

/** A team's YAML program: one KubeSliceIpam, its outputs exported. */
function yamlProgram(program: ComponentProgram): string {
    const store =
        program.store === "file"
            ? ["        kind: file", "        directory: ${storeDirectory}"]
            : ["        kind: kubernetes", "        namespace: ${namespace}", "        kubeconfig: ${kubeconfig}"];
    return [
        `name: ${program.project ?? "team-component"}`,
        "runtime: yaml",
        "packages:",
        `  kubeslice-ipam: ${PLUGIN}`,
        "config:",
        ...(program.store === "file"
            ? ["  storeDirectory:", "    type: string"]
            : ["  namespace:", "    type: string", "  kubeconfig:", "    type: string", "    secret: true"]),
        "resources:",
        `  ${program.sliceName}:`,
        "    type: kubeslice-ipam:KubeSliceIpam",
        "    properties:",
        `      sliceName: ${program.sliceName}`,
        "      namespace: kubeslice-e2e",
        `      sliceSubnet: ${program.sliceSubnet}`,
        `      clusters: ${JSON.stringify(program.clusters)}`,
        ...(program.pinnedSubnets ? [`      pinnedSubnets: ${JSON.stringify(program.pinnedSubnets)}`] : []),
        ...(program.manifestsDirectory ? [`      manifestsDirectory: ${program.manifestsDirectory}`] : []),
        "      store:",
        ...store,
        ...(program.otherResources ?? []),
        "outputs:",
        `  subnets: \${${program.sliceName}.subnets}`,
        `  totalSubnets: \${${program.sliceName}.totalSubnets}`,
        `  availableSubnets: \${${program.sliceName}.availableSubnets}`,
        `  utilization: \${${program.sliceName}.utilization}`,
        "",
    ].join("\n");
}

/** The component's registered outputs as the streaming preview reports them. */
async function previewedComponentOutputs(stack: Stack): Promise<Record<string, any> | undefined> {
    return resourceEvents(await stack.previewEvents())
        .filter((e) => e.kind === "outputs" && e.meta.type === COMPONENT_TYPE)
        .at(-1)?.meta.new?.outputs;
}

describe("KubeSliceIpam from Pulumi YAML through the native provider, file store", () => {
    const POOL = "10.41.0.0/16";
    const subnet = (index: number) => `10.41.${index}.0/24`;
    let workspace: Workspace;
    let store: string;
    let project: Project;
    let stack: Stack;

    const writeProgram = (clusters: string[], extra: Partial<ComponentProgram> = {}) =>
        fs.writeFile(
            path.join(project.dir, "Pulumi.yaml"),
            yamlProgram({ sliceName: "teal", sliceSubnet: POOL, clusters, store: "file", manifestsDirectory: "manifests", ...extra }),
        );
    const manifestPath = (cluster: string) => path.join(project.dir, "manifests", `teal-${cluster}.yaml`);

    beforeAll(async () => {
        workspace = await Workspace.create("native-component");
        store = await workspace.directory("store");
        project = workspace.project(await workspace.directory("team-component"));
        await writeProgram(["c-1", "c-2"]);
        stack = await project.stack("dev", { storeDirectory: store });
    });

    afterAll(async () => {
        await workspace?.remove();
    });

    it("previews the component's children with their planned subnets, then up allocates exactly those", async () => {
        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual(
            [
                `create ${COMPONENT_TYPE} teal`,
                `create ${NATIVE_SLICE} teal`,
                `create ${NATIVE_ALLOCATION} teal-c-1`,
                `create ${NATIVE_ALLOCATION} teal-c-2`,
                `create ${NATIVE_MANIFEST} teal-c-1-manifest`,
                `create ${NATIVE_MANIFEST} teal-c-2-manifest`,
                "create pulumi:pulumi:Stack team-component-dev",
            ].sort(),
        );
        expect(stepFor(preview, NATIVE_ALLOCATION, "teal-c-1").newState?.inputs).toMatchObject({
            requestedSubnet: subnet(0),
            requestedSubnetIsPlan: true,
        });
        expect(stepFor(preview, NATIVE_ALLOCATION, "teal-c-2").newState?.inputs?.requestedSubnet).toBe(subnet(1));
        expect((await previewedComponentOutputs(stack))?.subnets).toEqual({ "c-1": subnet(0), "c-2": subnet(1) });

        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges).toEqual({ create: 7 });
        expect(await stack.outputs()).toEqual({
            subnets: { "c-1": subnet(0), "c-2": subnet(1) },
            totalSubnets: 256,
            availableSubnets: 254,
            utilization: 2 / 256,
        });
        expect(subnetsIn(await readLedger(store, "teal"), "Allocated")).toEqual({ "c-1": subnet(0), "c-2": subnet(1) });
        expect(parseYaml(await fs.readFile(manifestPath("c-2"), "utf8")).spec).toMatchObject({ clusterSubnetCIDR: subnet(1), sliceSubnet: POOL });
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("keeps no provider code in state: every child is the plugin's own resource, parented to the component", async () => {
        expect(await stack.exportText()).not.toContain("__provider");
        const resources = await stack.resources();
        const component = resources.find((r) => r.type === COMPONENT_TYPE)!;
        const children = resources.filter((r) => r.parent === component.urn);
        expect(children.map((r) => `${r.type} ${r.urn.slice(r.urn.lastIndexOf("::") + 2)}`).sort()).toEqual(
            [
                `${NATIVE_SLICE} teal`,
                `${NATIVE_ALLOCATION} teal-c-1`,
                `${NATIVE_ALLOCATION} teal-c-2`,
                `${NATIVE_MANIFEST} teal-c-1-manifest`,
                `${NATIVE_MANIFEST} teal-c-2-manifest`,
            ].sort(),
        );
        expect(children.find((r) => r.id === "teal/c-1")?.outputs).toMatchObject({ subnet: subnet(0), index: 0, status: "Allocated" });
        expect(component.outputs).toEqual({
            subnets: { "c-1": subnet(0), "c-2": subnet(1) },
            subnetsIpv6: {},
            totalSubnets: 256,
            totalSubnetsExact: "256",
            availableSubnets: 254,
            utilization: 2 / 256,
        });
    });

    it("adds a cluster: the preview plans its subnet, up makes exactly one allocation", async () => {
        await writeProgram(["c-1", "c-2", "c-3"]);
        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual([`create ${NATIVE_ALLOCATION} teal-c-3`, `create ${NATIVE_MANIFEST} teal-c-3-manifest`].sort());
        expect(stepFor(preview, NATIVE_ALLOCATION, "teal-c-3").newState?.inputs?.requestedSubnet).toBe(subnet(2));
        expect((await previewedComponentOutputs(stack))?.subnets).toEqual({ "c-1": subnet(0), "c-2": subnet(1), "c-3": subnet(2) });

        const run = await stack.up();
        expect(changesOf(run, NATIVE_ALLOCATION)).toEqual(["create teal-c-3"]);
        expect((await stack.outputs()).subnets).toEqual({ "c-1": subnet(0), "c-2": subnet(1), "c-3": subnet(2) });
        expect(subnetsIn(await readLedger(store, "teal"), "Allocated")["c-3"]).toBe(subnet(2));
    });

    it("removes a cluster: exactly one delete, its subnet Released in the ledger, its manifest file gone", async () => {
        await writeProgram(["c-2", "c-3"]);
        const run = await stack.up();
        expect(changesOf(run, NATIVE_ALLOCATION)).toEqual(["delete teal-c-1"]);
        const ledger = await readLedger(store, "teal");
        expect(subnetsIn(ledger, "Released")).toEqual({ "c-1": subnet(0) });
        expect(subnetsIn(ledger, "Allocated")).toEqual({ "c-2": subnet(1), "c-3": subnet(2) });
        expect((await stack.outputs()).subnets).toEqual({ "c-2": subnet(1), "c-3": subnet(2) });
        expect(await exists(manifestPath("c-1"))).toBe(false);
    });

    it("refuses invalid arguments in construct, naming the slice and the clusters, with nothing written", async () => {
        const before = await readLedger(store, "teal");
        await writeProgram(["c-2", "c-3", "c-3", "Worker_4"], { pinnedSubnets: { "c-9": subnet(9) } });
        const preview = await stack.preview({ allowFailure: true });
        expect(preview.code).not.toBe(0);
        const messages = problems(preview.diagnostics).map((d) => d.message);
        const refusal = messages.find((m) => m.includes('KubeSliceIpam "teal" has invalid arguments'));
        expect(refusal, messages.join("\n")).toBeDefined();
        expect(refusal).toContain('cluster "c-3" is listed more than once');
        expect(refusal).toContain('cluster "Worker_4" is not a valid DNS-1123 label');
        expect(refusal).toContain('pinnedSubnets names cluster "c-9", which is not in clusters');

        // A pin on another cluster's subnet: the plan refuses it, naming both clusters.
        await writeProgram(["c-2", "c-3", "c-4"], { pinnedSubnets: { "c-4": subnet(1) } });
        const pinned = await stack.preview({ allowFailure: true });
        expect(pinned.code).not.toBe(0);
        const planned = problems(pinned.diagnostics).map((d) => d.message);
        expect(planned.join("\n")).toContain(
            `KubeSliceIpam "teal" cannot place its clusters:\n  - pinned subnet ${subnet(1)} for cluster "c-4" is already held by cluster "c-2" in slice "teal"`,
        );
        expect(planned.join("\n")).not.toContain("error serializing property");
        expect(await readLedger(store, "teal")).toEqual(before);
        await writeProgram(["c-2", "c-3"]);
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("destroys: allocations released, the slice unregistered, the manifest files removed, nothing left in the stack", async () => {
        const run = await stack.destroy();
        expect(run.summary.result).toBe("succeeded");
        expect(changesOf(run, NATIVE_ALLOCATION)).toEqual(["delete teal-c-2", "delete teal-c-3"]);
        expect(await sliceIsGone(store, "teal")).toBe(true);
        expect(await exists(manifestPath("c-2"))).toBe(false);
        expect(await stack.resources()).toEqual([]);
    });
});

describe("one ledger: KubeSliceIpam through the native provider and the TypeScript dynamic component", () => {
    const POOL = "10.42.0.0/16";
    let workspace: Workspace;
    let store: string;
    let platform: Stack;
    let team: Stack;
    let teamProject: Project;

    const writeTeamProgram = (clusters: string[]) =>
        fs.writeFile(path.join(teamProject.dir, "Pulumi.yaml"), yamlProgram({ sliceName: "cyan", sliceSubnet: POOL, clusters, store: "file" }));

    beforeAll(async () => {
        workspace = await Workspace.create("native-component-shared");
        store = await workspace.directory("store");
        const platformProject = await workspace.program(path.join(PROGRAMS, "slice"), "platform");
        platform = await platformProject.stack("prod", { sliceName: "cyan", sliceSubnet: POOL, storeDirectory: store, clusters: ["d-1", "d-2"] });
        await platform.up({ skipPreview: true });
        teamProject = workspace.project(await workspace.directory("team-component"));
        await writeTeamProgram(["y-1"]);
        team = await teamProject.stack("dev", { storeDirectory: store });
    });

    afterAll(async () => {
        await workspace?.remove();
    });

    it("plans and allocates around the dynamic component's clusters", async () => {
        expect((await previewedComponentOutputs(team))?.subnets).toEqual({ "y-1": "10.42.2.0/24" });
        await team.up({ skipPreview: true });
        expect((await team.outputs()).subnets).toEqual({ "y-1": "10.42.2.0/24" });
        expect((await team.outputs()).availableSubnets).toBe(253);
    });

    it("both stacks add clusters in parallel: both succeed, no subnet held twice, each stack's outputs are the ledger's", async () => {
        const teamClusters = ["y-1", "y-2", "y-3", "y-4", "y-5"];
        const platformClusters = ["d-1", "d-2", "d-3", "d-4", "d-5"];
        await writeTeamProgram(teamClusters);
        await platform.setConfig({ clusters: platformClusters });
        const runs = await Promise.all([team.up(), platform.up()]);
        expect(runs.map((run) => run.summary.result)).toEqual(["succeeded", "succeeded"]);

        const ledger = await readLedger(store, "cyan");
        expect(heldTwice(ledger.allocations)).toEqual([]);
        const held = subnetsIn(ledger, "Allocated");
        expect(Object.keys(held).sort()).toEqual([...platformClusters, ...teamClusters].sort());
        for (const [each, clusters] of [
            [team, teamClusters],
            [platform, platformClusters],
        ] as const) {
            const subnets: Record<string, string> = (await each.outputs()).subnets;
            expect(Object.keys(subnets).sort()).toEqual([...clusters].sort());
            for (const [cluster, cidr] of Object.entries(subnets)) expect(held[cluster]).toBe(cidr);
        }
    });

    it("the team's destroy releases its clusters and refuses to unregister the slice the platform's clusters hold", async () => {
        const refused = await team.destroy({ allowFailure: true });
        expect(refused.summary.result).toBe("failed");
        expect(changesOf(refused, NATIVE_ALLOCATION)).toHaveLength(5);
        const messages = problems(diagnosticsOf(refused.events)).map((d) => d.message);
        expect(messages.join("\n")).toMatch(/slice "cyan" still has 5 active allocation\(s\): d-1 \(10\.42\.\d+\.0\/24\)/);
        const ledger = await readLedger(store, "cyan");
        expect(Object.keys(subnetsIn(ledger, "Allocated")).sort()).toEqual(["d-1", "d-2", "d-3", "d-4", "d-5"]);
        expect(Object.keys(subnetsIn(ledger, "Released")).sort()).toEqual(["y-1", "y-2", "y-3", "y-4", "y-5"]);

        expect((await platform.destroy()).summary.result).toBe("succeeded");
        expect((await team.destroy()).summary.result).toBe("succeeded");
        expect(await sliceIsGone(store, "cyan")).toBe(true);
    });
});

describe("a stack moved from the TypeScript dynamic component to the native route", () => {
    const POOL = "10.44.0.0/16";
    let workspace: Workspace;
    let store: string;
    let project: Project;
    let stack: Stack;

    beforeAll(async () => {
        workspace = await Workspace.create("native-component-move");
        store = await workspace.directory("store");
        project = await workspace.program(path.join(PROGRAMS, "slice"), "moving");
        stack = await project.stack("prod", { sliceName: "sand", sliceSubnet: POOL, storeDirectory: store, clusters: ["m-1", "m-2", "m-3"] });
        await stack.up({ skipPreview: true });
    });

    afterAll(async () => {
        await workspace?.remove();
    });

    it("forgets the dynamic component's tree, then the YAML program's up adopts every allocation: same subnets, nothing allocated or released", async () => {
        const before = await readLedger(store, "sand");
        const subnets = (await stack.outputs()).subnets;
        const component = (await stack.resources()).find((r) => r.type === COMPONENT_TYPE)!;
        await project.run(["state", "delete", component.urn, "--target-dependents", "--force", "--yes", "--stack", "prod"]);
        expect((await stack.resources()).filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"))).toEqual([]);

        // Same project and stack, now a YAML program on the plugin.
        await fs.rm(path.join(project.dir, "index.ts"));
        await fs.writeFile(
            path.join(project.dir, "Pulumi.yaml"),
            yamlProgram({
                project: "kubeslice-ipam-e2e-slice",
                sliceName: "sand",
                sliceSubnet: POOL,
                clusters: ["m-1", "m-2", "m-3"],
                store: "file",
                manifestsDirectory: "manifests",
            }),
        );
        const run = await stack.up();
        expect(changesOf(run, NATIVE_ALLOCATION)).toEqual(["create sand-m-1", "create sand-m-2", "create sand-m-3"]);
        expect((await stack.outputs()).subnets).toEqual(subnets);
        const after = await readLedger(store, "sand");
        expect(after.allocations).toEqual(before.allocations);
        expect(await stack.exportText()).not.toContain("__provider");
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
        expect((await stack.destroy()).summary.result).toBe("succeeded");
        expect(await sliceIsGone(store, "sand")).toBe(true);
    });
});

describe("KubeSliceIpam from Pulumi YAML through the native provider, Kubernetes store", () => {
    let server: TestApiServer;
    let workspace: Workspace;
    let stack: Stack;
    const namespace = `native-component-${randomBytes(3).toString("hex")}`;

    beforeAll(async () => {
        server = await startTestApiServer([path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml")]);
        workspace = await Workspace.create("native-component-k8s");
        const project = workspace.project(await workspace.directory("team-component"));
        await fs.writeFile(
            path.join(project.dir, "Pulumi.yaml"),
            yamlProgram({ sliceName: "plum", sliceSubnet: "10.43.0.0/16", clusters: ["k-1", "k-2"], store: "kubernetes" }),
        );
        stack = await project.stack("dev", { namespace });
        await stack.setSecret("kubeconfig", server.kubeconfig);
    });

    afterAll(async () => {
        await workspace?.remove();
        await server?.stop();
    });

    it("allocates in the cluster's SliceIpam, the kubeconfig secret in state, no changes on the next preview", async () => {
        expect((await stack.up()).summary.result).toBe("succeeded");
        const outputs = await stack.outputs();
        expect(outputs.subnets).toEqual({ "k-1": "10.43.0.0/24", "k-2": "10.43.1.0/24" });
        const loaded = await new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig }).load("plum");
        expect(Object.fromEntries(loaded!.ledger.allocations.map((a) => [a.clusterName, a.subnet]))).toEqual(outputs.subnets);
        const state = await stack.exportText();
        expect(state).not.toContain(/client-key-data: (\S+)/.exec(server.kubeconfig)![1]);
        expect(state).not.toContain("client-key-data");
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("destroys: the slice's object removed from the cluster", async () => {
        expect((await stack.destroy()).summary.result).toBe("succeeded");
        expect(await new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig }).load("plum")).toBeUndefined();
        expect(await stack.resources()).toEqual([]);
    });
});

describe("a check failure while the component is being constructed: one problem, one message", () => {
    let workspace: Workspace;
    let store: string;
    let project: Project;
    let stack: Stack;

    const writeProgram = (extra: Partial<ComponentProgram>) =>
        fs.writeFile(
            path.join(project.dir, "Pulumi.yaml"),
            yamlProgram({ sliceName: "sage", sliceSubnet: "10.45.0.0/16", clusters: ["s-1", "s-2"], store: "file", ...extra }),
        );

    /** Every error the run reported, and all it printed, for the closing-connection line. */
    const errorsOf = (diagnostics: readonly Diagnostic[] | undefined) => problems(diagnostics).filter((d) => d.severity === "error");
    const CLOSING = "client connection is closing";

    beforeAll(async () => {
        workspace = await Workspace.create("native-component-one-error");
        store = await workspace.directory("store");
        project = workspace.project(await workspace.directory("team-component"));
        await writeProgram({});
        stack = await project.stack("dev", { storeDirectory: store });
    });

    afterAll(async () => {
        await workspace?.remove();
    });

    it("an invalid sliceSubnet is refused once, with no second error on the component", async () => {
        await writeProgram({ sliceSubnet: "10.45.0.0/33" });
        const preview = await stack.preview({ allowFailure: true });
        expect(preview.code).not.toBe(0);
        const errors = errorsOf(preview.diagnostics);
        expect(errors, errors.map((d) => d.message).join("\n")).toHaveLength(1);
        expect(errors[0].message).toContain('sliceSubnet "10.45.0.0/33" is not valid CIDR notation');
        expect(JSON.stringify(preview)).not.toContain(CLOSING);
    });

    it("an invalid standalone SubnetAllocation is refused once, on itself; the valid component is not blamed (preview and up)", async () => {
        await writeProgram({
            otherResources: [
                "  stray:",
                "    type: kubeslice-ipam:SubnetAllocation",
                "    properties:",
                "      sliceName: sage",
                "      clusterName: Not_A_Label",
                "      store:",
                "        kind: file",
                "        directory: ${storeDirectory}",
            ],
        });
        const preview = await stack.preview({ allowFailure: true });
        expect(preview.code).not.toBe(0);
        const errors = errorsOf(preview.diagnostics);
        expect(errors, errors.map((d) => `${d.urn}: ${d.message}`).join("\n")).toHaveLength(1);
        expect(errors[0].urn).toMatch(/::kubeslice-ipam:index:SubnetAllocation::stray$/);
        expect(errors[0].message).toContain('clusterName "Not_A_Label" is not a valid DNS-1123 label');
        expect(JSON.stringify(preview)).not.toContain(CLOSING);

        const up = await stack.up({ skipPreview: true, allowFailure: true });
        expect(up.summary.result).toBe("failed");
        const upErrors = errorsOf(diagnosticsOf(up.events));
        expect(upErrors, upErrors.map((d) => `${d.urn}: ${d.message}`).join("\n")).toHaveLength(1);
        expect(upErrors[0].urn).toMatch(/::kubeslice-ipam:index:SubnetAllocation::stray$/);
        expect(up.stdout + up.stderr).not.toContain(CLOSING);
    });

    it("the same program without the fault previews and comes up cleanly (constructs answered as before)", async () => {
        await writeProgram({});
        const run = await stack.up();
        expect(run.summary.result).toBe("succeeded");
        expect(errorsOf(diagnosticsOf(run.events))).toEqual([]);
        expect((await stack.outputs()).subnets).toEqual({ "s-1": "10.45.0.0/24", "s-2": "10.45.1.0/24" });
        expect((await stack.destroy()).summary.result).toBe("succeeded");
    });
});
