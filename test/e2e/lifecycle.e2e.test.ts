/**
 * One stack's life with the real engine (test/e2e/programs/slice: a
 * KubeSliceIpam whose clusters and pool come from stack config):
 *   3. add a cluster: exactly one SubnetAllocation create (and its manifest)
 *   4. remove a cluster: exactly one delete, the ledger keeps it Released;
 *      re-add it within the grace period: same subnet, reused
 *   planned allocation: the preview shows the joining clusters' subnets
 *      (requestedSubnet, the manifests, the component's outputs); up gives exactly those
 *   5. change sliceSubnet: a replacement naming sliceSubnet; up refuses and writes nothing
 *   6. drift: refresh reports allocations changed out of band; up repairs them
 * The tests run in order; each starts from the state the previous one left.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
    ALLOCATION_TYPE,
    COMPONENT_TYPE,
    diagnosticsOf,
    editLedger,
    exists,
    ledgerFile,
    MANIFEST_TYPE,
    nameOf,
    plannedChanges,
    problems,
    PROGRAMS,
    Project,
    readLedger,
    resourceEvents,
    SLICE_TYPE,
    Stack,
    stepFor,
    subnetsIn,
    typeOfUrn,
    Workspace,
} from "./support/engine";

const POOL = "10.20.0.0/16";
const subnet = (index: number) => `10.20.${index}.0/24`;
const PROJECT_NAME = "kubeslice-ipam-e2e-slice";

let workspace: Workspace;
let store: string;
let project: Project;
let stack: Stack;

const manifestPath = (cluster: string) => path.join(project.dir, "manifests", `blue-${cluster}.yaml`);
const setClusters = (clusters: string[]) => stack.setConfig({ clusters });
const clusterSubnetOf = (yaml: string): string => parseYaml(yaml).spec.clusterSubnetCIDR;

beforeAll(async () => {
    workspace = await Workspace.create("lifecycle");
    store = await workspace.directory("store");
    project = await workspace.program(path.join(PROGRAMS, "slice"));
    stack = await project.stack("dev", { sliceSubnet: POOL, storeDirectory: store, clusters: ["w-1", "w-2"] });
    // A new stack's first preview is scenario 1 (quickstart.e2e.test.ts); here it is only the starting point.
    const run = await stack.up({ skipPreview: true });
    expect(run.summary.result).toBe("succeeded");
    expect((await stack.outputs()).subnets).toEqual({ "w-1": subnet(0), "w-2": subnet(1) });
});

afterAll(async () => {
    await workspace?.remove();
});

describe("a KubeSliceIpam stack's lifecycle with the real engine", () => {
    it("3. adding a cluster previews exactly one SubnetAllocation create and its manifest; up allocates the next subnet", async () => {
        await setClusters(["w-1", "w-2", "w-3"]);
        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual([`create ${ALLOCATION_TYPE} blue-w-3`, `create ${MANIFEST_TYPE} blue-w-3-manifest`].sort());
        expect(stepFor(preview, ALLOCATION_TYPE, "blue-w-3").newState?.inputs).toMatchObject({
            sliceName: "blue",
            clusterName: "w-3",
            requestedSubnet: subnet(2),
        });
        expect(clusterSubnetOf(stepFor(preview, MANIFEST_TYPE, "blue-w-3-manifest").newState?.inputs?.content)).toBe(subnet(2));

        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges).toEqual({ create: 2, same: 7 });
        const outputs = await stack.outputs();
        expect(outputs.subnets).toEqual({ "w-1": subnet(0), "w-2": subnet(1), "w-3": subnet(2) });
        expect(outputs.availableSubnets).toBe(253);
        expect(clusterSubnetOf(await fs.readFile(manifestPath("w-3"), "utf8"))).toBe(subnet(2));
    });

    let w2AllocatedAt: string;

    it("4. removing a cluster deletes exactly its allocation (and manifest); the ledger keeps its subnet Released", async () => {
        w2AllocatedAt = (await stack.outputs()).allocations["w-2"].allocatedAt;
        await setClusters(["w-1", "w-3"]);
        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual([`delete ${ALLOCATION_TYPE} blue-w-2`, `delete ${MANIFEST_TYPE} blue-w-2-manifest`].sort());

        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges).toEqual({ delete: 2, same: 7 });
        const ledger = await readLedger(store, "blue");
        const w2 = ledger.allocations.find((a) => a.clusterName === "w-2");
        expect(w2).toMatchObject({ subnet: subnet(1), index: 1, status: "Released", allocatedAt: w2AllocatedAt });
        expect(Date.parse(w2!.releasedAt!)).not.toBeNaN();
        expect(subnetsIn(ledger)).toEqual({ "w-1": subnet(0), "w-2": subnet(1), "w-3": subnet(2) });
        expect((await stack.outputs()).subnets).toEqual({ "w-1": subnet(0), "w-3": subnet(2) });
        expect(await exists(manifestPath("w-2"))).toBe(false);
    });

    it("planned allocation: the preview shows each joining cluster's subnet (requestedSubnet, manifest, component outputs); up gives exactly those", async () => {
        // w-2's subnet (index 1) is reserved for it during the grace period: the plan skips it.
        await setClusters(["w-1", "w-3", "w-4", "w-5"]);
        const planned = { "w-4": subnet(3), "w-5": subnet(4) };

        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual(
            [
                `create ${ALLOCATION_TYPE} blue-w-4`,
                `create ${ALLOCATION_TYPE} blue-w-5`,
                `create ${MANIFEST_TYPE} blue-w-4-manifest`,
                `create ${MANIFEST_TYPE} blue-w-5-manifest`,
            ].sort(),
        );
        for (const [cluster, cidr] of Object.entries(planned)) {
            expect(stepFor(preview, ALLOCATION_TYPE, `blue-${cluster}`).newState?.inputs?.requestedSubnet).toBe(cidr);
            const content = stepFor(preview, MANIFEST_TYPE, `blue-${cluster}-manifest`).newState?.inputs?.content;
            expect(parseYaml(content).spec).toMatchObject({ clusterSubnetCIDR: cidr, sliceSubnet: POOL, octet: Number(cidr.split(".")[2]) });
        }

        // The registered outputs as the (streaming) preview reports them: the
        // component's subnets, and the manifests the program exports (the
        // component keeps them out of its own registered outputs).
        const events = await stack.previewEvents();
        const outputsOf = (type: string) =>
            resourceEvents(events)
                .filter((e) => e.kind === "outputs" && e.meta.type === type)
                .at(-1)?.meta.new?.outputs;
        const componentOutputs = outputsOf(COMPONENT_TYPE);
        expect(componentOutputs?.subnets).toEqual({ "w-1": subnet(0), "w-3": subnet(2), ...planned });
        expect(componentOutputs?.manifests).toBeUndefined();
        const previewed = outputsOf("pulumi:pulumi:Stack");
        for (const [cluster, cidr] of Object.entries(planned)) {
            expect(clusterSubnetOf(previewed?.manifests[cluster])).toBe(cidr);
        }

        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges).toEqual({ create: 4, same: 7 });
        const outputs = await stack.outputs();
        expect(outputs.subnets).toEqual({ "w-1": subnet(0), "w-3": subnet(2), ...planned });
        for (const [cluster, cidr] of Object.entries(planned)) {
            expect(outputs.manifests[cluster]).toBe(previewed?.manifests[cluster]);
            expect(await fs.readFile(manifestPath(cluster), "utf8")).toBe(outputs.manifests[cluster]);
            expect(subnetsIn(await readLedger(store, "blue"))[cluster]).toBe(cidr);
        }
    });

    it("4. re-adding the removed cluster within the grace period gives back the same subnet, reused", async () => {
        await setClusters(["w-1", "w-2", "w-3", "w-4", "w-5"]);
        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual([`create ${ALLOCATION_TYPE} blue-w-2`, `create ${MANIFEST_TYPE} blue-w-2-manifest`].sort());
        expect(stepFor(preview, ALLOCATION_TYPE, "blue-w-2").newState?.inputs?.requestedSubnet).toBe(subnet(1));

        await stack.up({ skipPreview: true });
        const outputs = await stack.outputs();
        expect(outputs.allocations["w-2"]).toMatchObject({ subnet: subnet(1), index: 1, reused: true, allocatedAt: w2AllocatedAt });
        const ledger = await readLedger(store, "blue");
        const w2 = ledger.allocations.find((a) => a.clusterName === "w-2");
        expect(w2?.status).not.toBe("Released");
        expect(w2?.releasedAt).toBeUndefined();
        // The slice's history, written by the dynamic provider's process: w-2's life, each change as the project that made it.
        const w2History = (ledger.history ?? []).filter((event) => event.clusterName === "w-2");
        expect(w2History.map((event) => [event.action, event.subnet, event.actor.via, event.actor.project])).toEqual([
            ["allocated", subnet(1), "pulumi", PROJECT_NAME],
            ["released", subnet(1), "pulumi", PROJECT_NAME],
            ["reused", subnet(1), "pulumi", PROJECT_NAME],
        ]);
    });

    it("5. changing sliceSubnet previews a replacement naming sliceSubnet; up refuses, naming the clusters, and writes nothing", async () => {
        const ledgerBefore = await fs.readFile((await ledgerFile(store, "blue"))!);
        const manifestsBefore = await Promise.all(["w-1", "w-2", "w-3", "w-4", "w-5"].map((c) => fs.readFile(manifestPath(c), "utf8")));
        const holders = ["w-1", "w-2", "w-3", "w-4", "w-5"].map((cluster, index) => `${cluster} (${subnet(index)})`);

        await stack.setConfig({ sliceSubnet: "10.21.0.0/16" });
        const preview = await stack.preview();
        const sliceStep = stepFor(preview, SLICE_TYPE, "blue");
        expect(sliceStep.op).toBe("replace");
        expect(sliceStep.replaceReasons).toEqual(["sliceSubnet"]);
        // Only the slice is replaced; no allocation is replaced, deleted or created (the
        // manifests show an update because their sliceSubnet would change).
        expect(plannedChanges(preview).filter((change) => !change.startsWith("update "))).toEqual([`replace ${SLICE_TYPE} blue`]);
        const allocationOps = preview.steps.filter((s) => typeOfUrn(s.urn) === ALLOCATION_TYPE).map((s) => s.op);
        expect(allocationOps.filter((op) => op !== "same" && op !== "update")).toEqual([]);

        const run = await stack.up({ allowFailure: true });
        expect(run.code).not.toBe(0);
        expect(run.summary.result).toBe("failed");
        // Delete-before-replace: the old slice's delete runs first and fails; nothing is created.
        const sliceEvents = resourceEvents(run.events).filter((e) => e.meta.type === SLICE_TYPE);
        expect(sliceEvents.map((e) => `${e.kind} ${e.meta.op}`)).toEqual(["pre delete-replaced", "failed delete-replaced"]);
        const touched = resourceEvents(run.events).filter((e) => e.meta.type === ALLOCATION_TYPE && e.meta.op !== "same");
        expect(touched.map((e) => `${e.meta.op} ${nameOf(e.meta.urn)}`)).toEqual([]);
        const errors = problems(diagnosticsOf(run.events)).filter((d) => d.urn !== undefined && typeOfUrn(d.urn) === SLICE_TYPE);
        expect(errors).toHaveLength(1);
        for (const holder of holders) {
            expect(errors[0].message).toContain(holder);
        }

        expect(await fs.readFile((await ledgerFile(store, "blue"))!)).toEqual(ledgerBefore);
        for (const [i, cluster] of ["w-1", "w-2", "w-3", "w-4", "w-5"].entries()) {
            expect(await fs.readFile(manifestPath(cluster), "utf8")).toBe(manifestsBefore[i]);
        }
        const resources = await stack.resources();
        expect(resources.find((r) => r.type === SLICE_TYPE)?.outputs?.sliceSubnet).toBe(POOL);
        expect(
            resources
                .filter((r) => r.type === ALLOCATION_TYPE)
                .map((r) => r.id)
                .sort(),
        ).toEqual(["blue/w-1", "blue/w-2", "blue/w-3", "blue/w-4", "blue/w-5"]);
        expect(resources.filter((r) => r.delete === true || r.pendingReplacement === true)).toEqual([]);

        // Back to the pool in use: the stack is exactly as before.
        await stack.setConfig({ sliceSubnet: POOL });
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("6. drift: an allocation removed from the store is reported by refresh and allocated again by up", async () => {
        await editLedger(store, "blue", (doc) => {
            doc.allocations = doc.allocations.filter((a) => a.clusterName !== "w-3");
        });
        const edited = await fs.readFile((await ledgerFile(store, "blue"))!);

        const dryRun = await stack.refresh({ previewOnly: true });
        expect(dryRun.preview?.changeSummary?.delete).toBe(1);
        expect(dryRun.preview?.steps.filter((s) => s.op === "delete").map((s) => nameOf(s.urn))).toEqual(["blue-w-3"]);
        expect(await fs.readFile((await ledgerFile(store, "blue"))!)).toEqual(edited);

        const refresh = await stack.refresh();
        expect(refresh.summary.result).toBe("succeeded");
        expect(refresh.summary.resourceChanges.delete).toBe(1);
        expect((await stack.resources()).some((r) => r.id === "blue/w-3")).toBe(false);

        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual([`create ${ALLOCATION_TYPE} blue-w-3`]);
        expect(stepFor(preview, ALLOCATION_TYPE, "blue-w-3").newState?.inputs?.requestedSubnet).toBe(subnet(2));

        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges.create).toBe(1);
        expect(subnetsIn(await readLedger(store, "blue"))["w-3"]).toBe(subnet(2));
        expect((await stack.outputs()).subnets["w-3"]).toBe(subnet(2));
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("6. drift: an allocation released out of band is reported by refresh and taken back by up", async () => {
        await editLedger(store, "blue", (doc) => {
            const entry = doc.allocations.find((a) => a.clusterName === "w-1")!;
            Object.assign(entry, { status: "Released", releasedAt: new Date().toISOString() });
        });

        const refresh = await stack.refresh();
        expect(refresh.summary.resourceChanges.update).toBe(1);
        const refreshed = resourceEvents(refresh.events).filter((e) => e.kind === "outputs" && e.meta.op === "update");
        expect(refreshed.map((e) => [nameOf(e.meta.urn), e.meta.new?.outputs?.status])).toEqual([["blue-w-1", "Released"]]);

        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual([`update ${ALLOCATION_TYPE} blue-w-1`]);
        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges.update).toBe(1);
        const w1 = (await readLedger(store, "blue")).allocations.find((a) => a.clusterName === "w-1");
        expect(w1).toMatchObject({ subnet: subnet(0), index: 0 });
        expect(w1?.status).not.toBe("Released");
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });
});
