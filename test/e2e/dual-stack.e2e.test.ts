/**
 * Dual-stack slices with the real engine, on a file store:
 *   - a dual-stack slice from TypeScript: the preview plans both families,
 *     `up` allocates exactly them, outputs, manifests (the IPv6 subnet in an
 *     annotation) and ledger agree; a cluster that leaves and rejoins gets both back
 *   - an IPv4 slice upgraded to dual-stack in place: the preview shows updates,
 *     not replacements; `up` keeps every cluster's IPv4 subnet and index and
 *     gives it the paired IPv6 subnet; the pools are immutable after
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
    ALLOCATION_TYPE,
    COMPONENT_TYPE,
    MANIFEST_TYPE,
    plannedChanges,
    Project,
    PROGRAMS,
    readLedger,
    resourceEvents,
    SLICE_TYPE,
    Stack,
    stepFor,
    subnetsIn,
    Workspace,
} from "./support/engine";

const ANNOTATION = "ipam.kubeslice-ipam.io/cluster-subnet-ipv6";

let workspace: Workspace;
let store: string;

beforeAll(async () => {
    workspace = await Workspace.create("dual-stack");
    store = await workspace.directory("dual-stack-store");
});

afterAll(async () => {
    await workspace?.remove();
});

async function previewedComponentOutputs(stack: Stack): Promise<Record<string, any> | undefined> {
    return resourceEvents(await stack.previewEvents())
        .filter((e) => e.kind === "outputs" && e.meta.type === COMPONENT_TYPE)
        .at(-1)?.meta.new?.outputs;
}

describe("a dual-stack slice from TypeScript with the real engine", () => {
    let project: Project;
    let duo: Stack;
    const ipv4 = { "c-1": "10.61.0.0/24", "c-2": "10.61.7.0/24" };
    const ipv6 = { "c-1": "fd00:61::/64", "c-2": "fd00:61:0:7::/64" };

    it("previews both families' subnets, then `up` allocates exactly them", async () => {
        project = await workspace.program(path.join(PROGRAMS, "slice"), "duo");
        duo = await project.stack("dev", {
            sliceName: "duo",
            sliceSubnet: "10.61.0.0/16",
            sliceSubnetIpv6: "fd00:61::/48",
            subnetSizeIpv6: 64,
            pinnedSubnetsIpv6: { "c-2": "fd00:61:0:7::/64" },
            storeDirectory: store,
            clusters: ["c-1", "c-2"],
            gracePeriodSeconds: 3600,
        });
        const preview = await duo.preview();
        for (const cluster of ["c-1", "c-2"] as const) {
            expect(stepFor(preview, ALLOCATION_TYPE, `duo-${cluster}`).newState?.inputs).toMatchObject({
                requestedSubnet: ipv4[cluster],
                sliceSubnetIpv6: "fd00:61::/48",
            });
            const manifest = parseYaml(stepFor(preview, MANIFEST_TYPE, `duo-${cluster}-manifest`).newState?.inputs?.content);
            expect(manifest.spec).toMatchObject({ sliceSubnet: "10.61.0.0/16", clusterSubnetCIDR: ipv4[cluster] });
            expect(manifest.metadata.annotations[ANNOTATION]).toBe(ipv6[cluster]);
        }
        expect(await previewedComponentOutputs(duo)).toMatchObject({ subnets: ipv4, subnetsIpv6: ipv6 });

        expect((await duo.up({ skipPreview: true })).summary.result).toBe("succeeded");
        const outputs = await duo.outputs();
        expect(outputs.subnets).toEqual(ipv4);
        expect(outputs.subnetsIpv6).toEqual(ipv6);
        expect(outputs.allocations["c-2"]).toMatchObject({ subnet: "10.61.7.0/24", subnetIpv6: "fd00:61:0:7::/64", index: 7 });
        expect(outputs.totalSubnets).toBe(256);
        const manifest = parseYaml(await fs.readFile(path.join(project.dir, "manifests", "duo-c-2.yaml"), "utf8"));
        expect(manifest.metadata.annotations).toEqual({
            "ipam.kubeslice-ipam.io/slice-subnet-ipv6": "fd00:61::/48",
            [ANNOTATION]: "fd00:61:0:7::/64",
        });
        const ledger = await readLedger(store, "duo");
        expect(ledger.spec).toMatchObject({ sliceSubnet: "10.61.0.0/16", sliceSubnetIpv6: "fd00:61::/48", subnetSizeIpv6: 64 });
        expect(subnetsIn(ledger)).toEqual(ipv4);

        expect(plannedChanges(await duo.preview({ expectNoChanges: true }))).toEqual([]);
    });

    it("gives a cluster that left and rejoins within the grace period both subnets back", async () => {
        await duo.setConfig({ clusters: ["c-1"], pinnedSubnetsIpv6: {} }); // a pin names a listed cluster
        expect((await duo.up({ skipPreview: true })).summary.result).toBe("succeeded");
        expect(subnetsIn(await readLedger(store, "duo"), "Released")).toEqual({ "c-2": "10.61.7.0/24" });
        expect((await duo.outputs()).subnetsIpv6).toEqual({ "c-1": "fd00:61::/64" });

        await duo.setConfig({ clusters: ["c-1", "c-2", "c-3"] });
        expect((await duo.up({ skipPreview: true })).summary.result).toBe("succeeded");
        const outputs = await duo.outputs();
        expect(outputs.subnets).toEqual({ ...ipv4, "c-3": "10.61.1.0/24" });
        expect(outputs.subnetsIpv6).toEqual({ ...ipv6, "c-3": "fd00:61:0:1::/64" });
        expect(outputs.allocations["c-2"]).toMatchObject({ reused: true, subnetIpv6: "fd00:61:0:7::/64" });
    });
});

describe("an IPv4 slice upgraded to dual-stack in place with the real engine", () => {
    let project: Project;
    let grow: Stack;
    const ipv4 = { "c-1": "10.62.0.0/24", "c-2": "10.62.1.0/24" };

    it("deploys the IPv4 slice first", async () => {
        project = await workspace.program(path.join(PROGRAMS, "slice"), "grow");
        grow = await project.stack("grow", { sliceName: "grow", sliceSubnet: "10.62.0.0/16", storeDirectory: store, clusters: ["c-1", "c-2"] });
        expect((await grow.up({ skipPreview: true })).summary.result).toBe("succeeded");
        expect((await grow.outputs()).subnetsIpv6).toEqual({});
    });

    it("previews the IPv6 pool's addition as updates, not replacements, with each cluster's paired subnet", async () => {
        await grow.setConfig({ sliceSubnetIpv6: "fd00:62::/48", subnetSizeIpv6: 64, clusters: ["c-1", "c-2", "c-3"] });
        const preview = await grow.preview();
        expect(plannedChanges(preview)).toEqual(
            [
                `update ${SLICE_TYPE} grow`,
                `update ${ALLOCATION_TYPE} grow-c-1`,
                `update ${ALLOCATION_TYPE} grow-c-2`,
                `create ${ALLOCATION_TYPE} grow-c-3`,
                `update ${MANIFEST_TYPE} grow-c-1-manifest`,
                `update ${MANIFEST_TYPE} grow-c-2-manifest`,
                `create ${MANIFEST_TYPE} grow-c-3-manifest`,
            ].sort(),
        );
        expect(stepFor(preview, SLICE_TYPE, "grow").newState?.inputs).toMatchObject({ sliceSubnet: "10.62.0.0/16", sliceSubnetIpv6: "fd00:62::/48" });
        const manifest = parseYaml(stepFor(preview, MANIFEST_TYPE, "grow-c-2-manifest").newState?.inputs?.content);
        expect(manifest.spec.clusterSubnetCIDR).toBe("10.62.1.0/24");
        expect(manifest.metadata.annotations[ANNOTATION]).toBe("fd00:62:0:1::/64");
        expect(await previewedComponentOutputs(grow)).toMatchObject({
            subnets: { ...ipv4, "c-3": "10.62.2.0/24" },
            subnetsIpv6: { "c-1": "fd00:62::/64", "c-2": "fd00:62:0:1::/64", "c-3": "fd00:62:0:2::/64" },
        });
    });

    it("`up` renumbers nobody: each cluster keeps its IPv4 subnet and index and gets its paired IPv6 subnet", async () => {
        const before = await readLedger(store, "grow");
        const run = await grow.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        expect(run.summary.resourceChanges).toMatchObject({ update: 5, create: 2 });
        expect(run.summary.resourceChanges).not.toHaveProperty("replace");
        const outputs = await grow.outputs();
        expect(outputs.subnets).toEqual({ ...ipv4, "c-3": "10.62.2.0/24" });
        expect(outputs.subnetsIpv6).toEqual({ "c-1": "fd00:62::/64", "c-2": "fd00:62:0:1::/64", "c-3": "fd00:62:0:2::/64" });
        const after = await readLedger(store, "grow");
        const kept = (doc: typeof before) =>
            doc.allocations.filter((a) => a.clusterName !== "c-3").map((a) => [a.clusterName, a.subnet, a.index, a.allocatedAt]);
        expect(kept(after)).toEqual(kept(before));
        expect(after.spec).toMatchObject({ sliceSubnet: "10.62.0.0/16", sliceSubnetIpv6: "fd00:62::/48", subnetSizeIpv6: 64 });
        expect(plannedChanges(await grow.preview({ expectNoChanges: true }))).toEqual([]);
    });

    it("treats the IPv6 pool as immutable once set: changing it is a replacement, which the slice's clusters block", async () => {
        await grow.setConfig({ sliceSubnetIpv6: "fd00:63::/48" });
        const preview = await grow.preview();
        expect(stepFor(preview, SLICE_TYPE, "grow").op).toBe("replace");
        expect(stepFor(preview, SLICE_TYPE, "grow").replaceReasons).toEqual(["sliceSubnetIpv6"]);
        const run = await grow.up({ skipPreview: true, allowFailure: true });
        expect(run.summary.result).toBe("failed");
        expect(run.stdout + run.stderr).toContain("still has 3 active allocation(s): c-1 (10.62.0.0/24)");
        expect((await readLedger(store, "grow")).spec).toMatchObject({ sliceSubnetIpv6: "fd00:62::/48" });
    });
});
