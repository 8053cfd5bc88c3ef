/**
 * A dual-stack slice from Pulumi YAML, through the native provider's
 * KubeSliceIpam (construct) and its own SliceIpam and SubnetAllocation, with
 * the real engine on a file store: an IPv4 slice deployed, then its IPv6 pool
 * added in place (updates, not replacements; nobody renumbered; each cluster
 * gets its paired IPv6 subnet, a new cluster its IPv6 pin), the outputs of
 * both families, the manifests' annotation.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { plannedChanges, Project, readLedger, REPO, Stack, stepFor, Workspace } from "./support/engine";

const PLUGIN = path.join(REPO, "plugin");
const NATIVE_SLICE = "kubeslice-ipam:index:SliceIpam";
const NATIVE_ALLOCATION = "kubeslice-ipam:index:SubnetAllocation";
const NATIVE_MANIFEST = "kubeslice-ipam:index:ManifestFile";

/** The YAML program: one KubeSliceIpam, IPv4 or dual-stack, its subnets of both families exported. */
function yamlProgram(clusters: readonly string[], ipv6: boolean): string {
    return [
        "name: team-dual-stack",
        "runtime: yaml",
        "packages:",
        `  kubeslice-ipam: ${PLUGIN}`,
        "config:",
        "  storeDirectory:",
        "    type: string",
        "resources:",
        "  amber:",
        "    type: kubeslice-ipam:KubeSliceIpam",
        "    properties:",
        "      sliceName: amber",
        "      namespace: kubeslice-e2e",
        "      sliceSubnet: 10.71.0.0/16",
        ...(ipv6
            ? ["      sliceSubnetIpv6: fd00:71::/48", "      subnetSizeIpv6: 64", '      pinnedSubnetsIpv6: { "c-3": "fd00:71:0:9::/64" }']
            : []),
        `      clusters: ${JSON.stringify(clusters)}`,
        "      manifestsDirectory: manifests",
        "      store:",
        "        kind: file",
        "        directory: ${storeDirectory}",
        "outputs:",
        "  subnets: ${amber.subnets}",
        "  subnetsIpv6: ${amber.subnetsIpv6}",
        "  totalSubnets: ${amber.totalSubnets}",
        "",
    ].join("\n");
}

describe("a dual-stack slice from Pulumi YAML through the native provider", () => {
    let workspace: Workspace;
    let store: string;
    let project: Project;
    let stack: Stack;
    const write = (clusters: readonly string[], ipv6: boolean) => fs.writeFile(path.join(project.dir, "Pulumi.yaml"), yamlProgram(clusters, ipv6));

    beforeAll(async () => {
        workspace = await Workspace.create("native-dual-stack");
        store = await workspace.directory("store");
        project = workspace.project(await workspace.directory("team-dual-stack"));
        await write(["c-1", "c-2"], false);
        stack = await project.stack("dev", { storeDirectory: store });
    });

    afterAll(async () => {
        await workspace?.remove();
    });

    it("deploys the IPv4 slice", async () => {
        expect((await stack.up({ skipPreview: true })).summary.result).toBe("succeeded");
        expect(await stack.outputs()).toEqual({ subnets: { "c-1": "10.71.0.0/24", "c-2": "10.71.1.0/24" }, subnetsIpv6: {}, totalSubnets: 256 });
    });

    it("adds the IPv6 pool in place: the preview shows updates, and `up` pairs every cluster's index, pins included", async () => {
        await write(["c-1", "c-2", "c-3"], true);
        const preview = await stack.preview();
        expect(plannedChanges(preview)).toEqual(
            [
                `update ${NATIVE_SLICE} amber`,
                `update ${NATIVE_ALLOCATION} amber-c-1`,
                `update ${NATIVE_ALLOCATION} amber-c-2`,
                `create ${NATIVE_ALLOCATION} amber-c-3`,
                `update ${NATIVE_MANIFEST} amber-c-1-manifest`,
                `update ${NATIVE_MANIFEST} amber-c-2-manifest`,
                `create ${NATIVE_MANIFEST} amber-c-3-manifest`,
            ].sort(),
        );
        expect(stepFor(preview, NATIVE_ALLOCATION, "amber-c-3").newState?.inputs).toMatchObject({
            requestedSubnet: "10.71.9.0/24",
            requestedSubnetIsPlan: false,
        });

        const before = await readLedger(store, "amber");
        expect((await stack.up({ skipPreview: true })).summary.result).toBe("succeeded");
        expect(await stack.outputs()).toEqual({
            subnets: { "c-1": "10.71.0.0/24", "c-2": "10.71.1.0/24", "c-3": "10.71.9.0/24" },
            subnetsIpv6: { "c-1": "fd00:71::/64", "c-2": "fd00:71:0:1::/64", "c-3": "fd00:71:0:9::/64" },
            totalSubnets: 256,
        });
        const after = await readLedger(store, "amber");
        const entry = (doc: typeof before, cluster: string) => doc.allocations.find((a) => a.clusterName === cluster);
        expect(entry(after, "c-2")).toEqual(entry(before, "c-2"));
        expect(after.spec).toMatchObject({ sliceSubnetIpv6: "fd00:71::/48", subnetSizeIpv6: 64 });
        const manifest = parseYaml(await fs.readFile(path.join(project.dir, "manifests", "amber-c-2.yaml"), "utf8"));
        expect(manifest.metadata.annotations["ipam.kubeslice-ipam.io/cluster-subnet-ipv6"]).toBe("fd00:71:0:1::/64");
        expect(manifest.spec).toMatchObject({ sliceSubnet: "10.71.0.0/16", clusterSubnetCIDR: "10.71.1.0/24", octet: 1 });
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
    });
});
