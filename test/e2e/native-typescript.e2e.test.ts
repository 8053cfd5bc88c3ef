/**
 * 16. The native provider from TypeScript as other languages use it: `pulumi
 * package add plugin/` generates a local SDK (`@kubeslice-ipam/sdk`) into a
 * program outside this repository, which then runs up (the resources, and
 * the KubeSliceIpam component through the SDK's remote component), imports
 * an allocation (printing TypeScript for it), and destroys.
 */
import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, readLedger, REPO, sliceIsGone, Stack, subnetsIn, Workspace } from "./support/engine";

const PLUGIN = path.join(REPO, "plugin");

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as ipam from "@kubeslice-ipam/sdk";

const config = new pulumi.Config();
const store = { kind: "file", directory: config.require("storeDirectory") };
const slice = new ipam.SliceIpam("navy", { sliceName: "navy", sliceSubnet: "10.50.0.0/16", store });
const allocations = config.requireObject<string[]>("clusters").map(
    (clusterName) => new ipam.SubnetAllocation(\`navy-\${clusterName}\`, { sliceName: slice.sliceName, clusterName, store }),
);
export const subnets = pulumi.all(allocations.map((a) => pulumi.all([a.clusterName, a.subnet])));
export const totalSubnets = slice.totalSubnets;
// The component as other languages get it: the plugin's construct, native children.
const coral = new ipam.KubeSliceIpam("coral", {
    sliceName: "coral",
    namespace: "kubeslice-e2e",
    sliceSubnet: "10.51.0.0/16",
    clusters: config.requireObject<string[]>("clusters"),
    store,
});
export const componentSubnets = coral.subnets;
`;

let workspace: Workspace;
let project: Project;
let stack: Stack;
let store: string;

beforeAll(async () => {
    workspace = await Workspace.create("native-typescript", path.join(tmpdir(), "kubeslice-ipam-e2e"));
    store = await workspace.directory("store");
    const dir = await workspace.directory("program");
    await fs.writeFile(path.join(dir, "Pulumi.yaml"), "name: native-ts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    const sdk = JSON.parse(await fs.readFile(path.join(REPO, "package.json"), "utf8")).devDependencies["@pulumi/pulumi"];
    await fs.writeFile(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "native-ts", private: true, main: "index.ts", dependencies: { "@pulumi/pulumi": sdk } }),
    );
    await fs.writeFile(path.join(dir, "index.ts"), PROGRAM);
    project = workspace.project(dir);
    const added = await project.run(["package", "add", PLUGIN], { allowFailure: true });
    expect(added.code, added.stderr + added.stdout).toBe(0);
    stack = await project.stack("dev", { storeDirectory: store, clusters: ["n-1", "n-2"] });
}, 600_000);

afterAll(async () => {
    await workspace?.remove();
});

describe("the native provider through a generated TypeScript SDK", () => {
    it("generates the SDK and records the plugin in Pulumi.yaml", async () => {
        expect(await fs.readFile(path.join(project.dir, "Pulumi.yaml"), "utf8")).toContain(`kubeslice-ipam: ${PLUGIN}`);
        const generated = JSON.parse(await fs.readFile(path.join(project.dir, "sdks/kubeslice-ipam/package.json"), "utf8"));
        expect(generated).toMatchObject({ name: "@kubeslice-ipam/sdk", pulumi: { resource: true, name: "kubeslice-ipam" } });
    });

    it("allocates, and previews no changes afterwards", async () => {
        expect((await stack.up()).summary.result).toBe("succeeded");
        const outputs = await stack.outputs();
        expect(outputs.totalSubnets).toBe(256);
        expect(subnetsIn(await readLedger(store, "navy"), "Allocated")).toEqual(Object.fromEntries(outputs.subnets));
        expect(Object.values(Object.fromEntries(outputs.subnets)).sort()).toEqual(["10.50.0.0/24", "10.50.1.0/24"]);
        expect(outputs.componentSubnets).toEqual({ "n-1": "10.51.0.0/24", "n-2": "10.51.1.0/24" });
        expect(subnetsIn(await readLedger(store, "coral"), "Allocated")).toEqual(outputs.componentSubnets);
        const children = (await stack.resources()).filter((r) => r.parent?.endsWith("::coral")).map((r) => r.type);
        expect(children.sort()).toEqual([
            "kubeslice-ipam:index:SliceIpam",
            "kubeslice-ipam:index:SubnetAllocation",
            "kubeslice-ipam:index:SubnetAllocation",
        ]);
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("imports an allocation into a second stack, printing the TypeScript that declares it", async () => {
        const second = await project.stack("other", { storeDirectory: store, clusters: [] });
        const run = await project.run(
            ["import", "kubeslice-ipam:index:SubnetAllocation", "adopted-n-1", `navy/n-1@file:${store}`, "--yes", "--stack", "other"],
            { allowFailure: true },
        );
        expect(run.code, run.stderr + run.stdout).toBe(0);
        expect(run.stdout).toContain('new kubeslice_ipam.SubnetAllocation("adopted-n-1"');
        expect(run.stdout).toMatch(/clusterName: "n-1"/);
        expect((await second.resources()).find((r) => r.urn.endsWith("::adopted-n-1"))).toMatchObject({ id: "navy/n-1", protect: true });
        // Forget it there (state only): the first stack still owns the allocation.
        const urn = (await second.resources()).find((r) => r.urn.endsWith("::adopted-n-1"))!.urn;
        await project.run(["state", "delete", urn, "--force", "--yes", "--stack", "other"]);
        expect(subnetsIn(await readLedger(store, "navy"), "Allocated")["n-1"]).toBeDefined();
    });

    it("destroys: subnets released, slice unregistered", async () => {
        expect((await stack.destroy()).summary.result).toBe("succeeded");
        expect(await stack.resources()).toEqual([]);
        expect(await sliceIsGone(store, "navy")).toBe(true);
        expect(await sliceIsGone(store, "coral")).toBe(true);
    });
});
