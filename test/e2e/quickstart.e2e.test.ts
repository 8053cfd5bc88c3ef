/**
 * examples/quickstart and examples/consumer with the real engine, run the way
 * examples/README.md says: `pulumi stack init dev && pulumi up`.
 *   1. preview and up of the quickstart: two clusters → the planned, then the
 *      allocated subnets and the rendered manifests
 *   2. a second preview with no change: zero changes (--expect-no-changes)
 *   8. a second stack reads the subnets through a StackReference
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
    ALLOCATION_TYPE,
    COMPONENT_TYPE,
    exists,
    EXAMPLES,
    MANIFEST_TYPE,
    plannedChanges,
    Project,
    readLedger,
    SLICE_TYPE,
    Stack,
    stepFor,
    Workspace,
} from "./support/engine";

const expectedSubnets = { "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" };

let workspace: Workspace;
let quickstart: Project;
let dev: Stack;

beforeAll(async () => {
    workspace = await Workspace.create("quickstart");
    quickstart = await workspace.program(path.join(EXAMPLES, "quickstart"));
});

afterAll(async () => {
    await workspace?.remove();
});

describe("examples/quickstart with the real engine", () => {
    it("1. `pulumi preview` of the new stack: every resource to create, each cluster's planned subnet and manifest", async () => {
        dev = await quickstart.stack("dev");
        const preview = await dev.preview();
        expect(plannedChanges(preview)).toEqual(
            [
                "create pulumi:pulumi:Stack kubeslice-ipam-quickstart-dev",
                `create ${COMPONENT_TYPE} blue`,
                `create ${SLICE_TYPE} blue`,
                `create ${ALLOCATION_TYPE} blue-worker-1`,
                `create ${ALLOCATION_TYPE} blue-worker-2`,
                `create ${MANIFEST_TYPE} blue-worker-1-manifest`,
                `create ${MANIFEST_TYPE} blue-worker-2-manifest`,
            ].sort(),
        );
        for (const [cluster, subnet] of Object.entries(expectedSubnets)) {
            expect(stepFor(preview, ALLOCATION_TYPE, `blue-${cluster}`).newState?.inputs?.requestedSubnet).toBe(subnet);
            const content = stepFor(preview, MANIFEST_TYPE, `blue-${cluster}-manifest`).newState?.inputs?.content;
            expect(parseYaml(content).spec.clusterSubnetCIDR).toBe(subnet);
        }
        // A preview writes nothing.
        expect(await exists(path.join(quickstart.dir, ".slice-ipam"))).toBe(false);
    });

    it("1. `pulumi up`: allocates 10.2.0.0/24 and 10.2.1.0/24, renders both manifests", async () => {
        // The preview is the test above; `pulumi up` with its preview, as typed, is scenario 11.
        const run = await dev.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        expect(run.summary.resourceChanges).toEqual({ create: 7 });

        const outputs = await dev.outputs();
        expect(outputs.subnets).toEqual(expectedSubnets);
        expect(outputs.totalSubnets).toBe(256);
        expect(outputs.availableSubnets).toBe(254);
        expect(outputs.utilization).toBe(2 / 256);
        for (const [cluster, subnet] of Object.entries(expectedSubnets)) {
            expect(outputs.allocations[cluster]).toMatchObject({ subnet, index: Number(subnet.split(".")[2]), reused: false });
            expect(outputs.allocations[cluster].status).toMatch(/^(Allocated|InUse)$/);
        }

        // The rendered WorkerSliceConfigs: stack output and ./manifests/ agree.
        for (const [cluster, subnet] of Object.entries(expectedSubnets)) {
            const yaml = outputs.manifests[cluster];
            expect(parseYaml(yaml)).toMatchObject({
                apiVersion: "worker.kubeslice.io/v1alpha1",
                kind: "WorkerSliceConfig",
                metadata: { name: `blue-${cluster}`, namespace: "kubeslice-cisco" },
                spec: { sliceName: "blue", sliceSubnet: "10.2.0.0/16", clusterSubnetCIDR: subnet, sliceIpamType: "Dynamic" },
            });
            expect(await fs.readFile(path.join(quickstart.dir, "manifests", `blue-${cluster}.yaml`), "utf8")).toBe(yaml);
        }

        // The ledger in the default store, .slice-ipam/ beside the project.
        const ledger = await readLedger(path.join(quickstart.dir, ".slice-ipam"), "blue");
        expect(ledger.spec).toMatchObject({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", subnetSize: 24 });
        expect(Object.fromEntries(ledger.allocations.map((a) => [a.clusterName, a.subnet]))).toEqual(expectedSubnets);
    });

    it("2. a second `pulumi preview` with no change reports zero changes (--expect-no-changes)", async () => {
        const preview = await dev.preview({ expectNoChanges: true });
        expect(preview.code).toBe(0);
        expect(plannedChanges(preview)).toEqual([]);
        expect(preview.changeSummary).toEqual({ same: 7 });
    });

    it("8. examples/consumer reads the quickstart's subnets through a StackReference", async () => {
        const consumer = await workspace.program(path.join(EXAMPLES, "consumer"));
        const stack = await consumer.stack("dev", { ipamStack: "organization/kubeslice-ipam-quickstart/dev" });
        const run = await stack.up();
        expect(run.summary.result).toBe("succeeded");
        expect(await stack.outputs()).toEqual({
            worker1Subnet: "10.2.0.0/24",
            firewallRules: ["allow from 10.2.0.0/24 (cluster worker-1)", "allow from 10.2.1.0/24 (cluster worker-2)"],
        });
    });
});
