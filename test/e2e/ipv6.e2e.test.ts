/**
 * An IPv6-only slice with the real engine, on a file store:
 *   - preview plans /64s of fd00:10::/48 and renders their manifests; `up`
 *     allocates exactly the plan; the outputs, manifests and ledger agree
 *   - a cluster that leaves and rejoins within the grace period gets its /64 back
 *   - a /8 of /64s reports its 2^56 subnets exactly (totalSubnetsExact)
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
    ALLOCATION_TYPE,
    MANIFEST_TYPE,
    plannedChanges,
    Project,
    PROGRAMS,
    readLedger,
    Stack,
    stepFor,
    subnetsIn,
    Workspace,
} from "./support/engine";

const expectedSubnets = { "c-1": "fd00:10::/64", "c-2": "fd00:10:0:1::/64" };

let workspace: Workspace;
let store: string;
let project: Project;
let six: Stack;

beforeAll(async () => {
    workspace = await Workspace.create("ipv6");
    store = await workspace.directory("ipv6-store");
    project = await workspace.program(path.join(PROGRAMS, "slice"), "six");
});

afterAll(async () => {
    await workspace?.remove();
});

describe("an IPv6-only slice with the real engine", () => {
    it("previews the planned /64s and their manifests, then `up` allocates exactly them", async () => {
        six = await project.stack("dev", {
            sliceName: "six",
            sliceSubnet: "fd00:10::/48",
            subnetSize: 64,
            storeDirectory: store,
            clusters: ["c-1", "c-2"],
            gracePeriodSeconds: 3600,
        });
        const preview = await six.preview();
        for (const [cluster, subnet] of Object.entries(expectedSubnets)) {
            expect(stepFor(preview, ALLOCATION_TYPE, `six-${cluster}`).newState?.inputs?.requestedSubnet).toBe(subnet);
            const content = stepFor(preview, MANIFEST_TYPE, `six-${cluster}-manifest`).newState?.inputs?.content;
            expect(parseYaml(content).spec).toMatchObject({ sliceSubnet: "fd00:10::/48", clusterSubnetCIDR: subnet });
        }

        const run = await six.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        const outputs = await six.outputs();
        expect(outputs.subnets).toEqual(expectedSubnets);
        expect(outputs.totalSubnets).toBe(65_536);
        expect(outputs.totalSubnetsExact).toBe("65536");
        expect(outputs.availableSubnets).toBe(4_094);
        expect(outputs.allocations["c-2"]).toMatchObject({ subnet: "fd00:10:0:1::/64", index: 1, reused: false });
        const manifest = parseYaml(await fs.readFile(path.join(project.dir, "manifests", "six-c-2.yaml"), "utf8"));
        expect(manifest).toMatchObject({
            kind: "WorkerSliceConfig",
            spec: { sliceName: "six", sliceSubnet: "fd00:10::/48", clusterSubnetCIDR: "fd00:10:0:1::/64", octet: 1, sliceIpamType: "Dynamic" },
        });
        const ledger = await readLedger(store, "six");
        expect(ledger.spec).toMatchObject({ sliceSubnet: "fd00:10::/48", subnetSize: 64 });
        expect(subnetsIn(ledger)).toEqual(expectedSubnets);

        const again = await six.preview({ expectNoChanges: true });
        expect(plannedChanges(again)).toEqual([]);
    });

    it("gives a cluster that left and rejoins within the grace period its /64 back", async () => {
        await six.setConfig({ clusters: ["c-1"] });
        expect((await six.up({ skipPreview: true })).summary.result).toBe("succeeded");
        expect(subnetsIn(await readLedger(store, "six"), "Released")).toEqual({ "c-2": "fd00:10:0:1::/64" });

        await six.setConfig({ clusters: ["c-1", "c-2", "c-3"] });
        expect((await six.up({ skipPreview: true })).summary.result).toBe("succeeded");
        expect((await six.outputs()).subnets).toEqual({ ...expectedSubnets, "c-3": "fd00:10:0:2::/64" });
    });

    it("reports a /8 of /64s exactly: 2^56 subnets", async () => {
        const huge = await (
            await workspace.program(path.join(PROGRAMS, "slice"), "huge")
        ).stack("huge", {
            sliceName: "huge",
            sliceSubnet: "fc00::/8",
            subnetSize: 64,
            storeDirectory: store,
            clusters: ["c-1"],
        });
        expect((await huge.up({ skipPreview: true })).summary.result).toBe("succeeded");
        const outputs = await huge.outputs();
        expect(outputs.subnets).toEqual({ "c-1": "fc00::/64" });
        expect(outputs.totalSubnetsExact).toBe("72057594037927936");
        expect(outputs.totalSubnets).toBe(2 ** 56);
    });
});
