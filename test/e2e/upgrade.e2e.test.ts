/**
 * Upgrading a stack created by an older kubeslice-ipam (test/e2e/programs/slice):
 * the package as built at CLOSURE_PROVIDER_COMMIT, whose resources store the
 * closure-serialized forwarding provider (~2.2 KB) in inputs and outputs, is
 * installed into the program as npm would; `pulumi up`; then this build
 * replaces it and the same program runs again. Nothing is replaced or
 * re-allocated, the ledger is untouched, new inputs carry the short provider
 * module, and the old text left in outputs still serves a delete.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPackageAt, CLOSURE_PROVIDER_COMMIT, CURRENT_PACKAGE, installPackage } from "../support/installed-package";
import {
    ALLOCATION_TYPE,
    ledgerFile,
    LedgerDocument,
    MANIFEST_TYPE,
    PROGRAMS,
    Project,
    readLedger,
    ResourceState,
    SLICE_TYPE,
    Stack,
    Workspace,
} from "./support/engine";

const POOL = "10.30.0.0/16";
const CLUSTERS = ["w-1", "w-2", "w-3"];

let workspace: Workspace;
let store: string;
let project: Project;
let stack: Stack;
let before: { subnets: Record<string, string>; ledger: LedgerDocument; ledgerFile?: string; resources: ResourceState[] };

const ours = (resources: ResourceState[]) => resources.filter((r) => [SLICE_TYPE, ALLOCATION_TYPE, MANIFEST_TYPE].includes(r.type));

beforeAll(async () => {
    workspace = await Workspace.create("upgrade");
    store = await workspace.directory("store");
    project = await workspace.program(path.join(PROGRAMS, "slice"));
    const old = await buildPackageAt(CLOSURE_PROVIDER_COMMIT, path.join(workspace.dir, "package-old"));
    await installPackage(old, project.dir);
    stack = await project.stack("dev", { sliceSubnet: POOL, storeDirectory: store, clusters: CLUSTERS });
    const run = await stack.up({ skipPreview: true });
    expect(run.summary.result).toBe("succeeded");
    before = {
        subnets: (await stack.outputs()).subnets,
        ledger: await readLedger(store, "blue"),
        ledgerFile: await ledgerFile(store, "blue"),
        resources: await stack.resources(),
    };
}, 600_000);

afterAll(async () => {
    await workspace?.remove();
});

describe("a stack made by the closure-provider version, after upgrading the package", () => {
    it("started from the old serialized provider in every resource's state", () => {
        const resources = ours(before.resources);
        expect(resources).toHaveLength(1 + 2 * CLUSTERS.length);
        for (const resource of resources) {
            expect(resource.inputs?.__provider).toContain("exports.handler = __f0;");
            expect(resource.outputs?.__provider).toContain("exports.handler = __f0;");
        }
        expect(before.subnets).toEqual({ "w-1": "10.30.0.0/24", "w-2": "10.30.1.0/24", "w-3": "10.30.2.0/24" });
    });

    it("previews no changes and `up` replaces, creates and deletes nothing; allocations and ledger unchanged", async () => {
        await installPackage(CURRENT_PACKAGE, project.dir);
        await stack.preview({ expectNoChanges: true });
        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges).toEqual({ same: 2 + 1 + 2 * CLUSTERS.length });
        expect((await stack.outputs()).subnets).toEqual(before.subnets);
        expect(await ledgerFile(store, "blue")).toBe(before.ledgerFile);
        expect(await readLedger(store, "blue")).toEqual(before.ledger);

        const after = ours(await stack.resources());
        for (const resource of after) {
            const old = before.resources.find((r) => r.urn === resource.urn);
            expect(resource.id).toBe(old?.id);
            expect(resource.outputs).toEqual(old?.outputs); // a same step keeps the outputs, old provider text included
            expect(resource.inputs?.__provider).toMatch(
                /^exports\.handler = \(\) => require\("kubeslice-ipam\/dist\/provider\/handlers\/index\.js"\)\.providers\.\w+;\n$/,
            );
        }
    });

    it("removing a cluster releases it through the old provider text its outputs still hold", async () => {
        await stack.setConfig({ clusters: ["w-1", "w-2"] });
        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges).toMatchObject({ delete: 2 });
        const entry = (await readLedger(store, "blue")).allocations.find((a) => a.clusterName === "w-3");
        expect(entry).toMatchObject({ subnet: "10.30.2.0/24", status: "Released" });
        expect((await stack.outputs()).subnets).toEqual({ "w-1": "10.30.0.0/24", "w-2": "10.30.1.0/24" });
    });
});
