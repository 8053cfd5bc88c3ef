/**
 * Address plans with the real engine, on one file store:
 *   - reserved ranges fed from another stack's outputs (StackReference):
 *     the preview plans around them, `up` allocates exactly that, and a
 *     range added over a held subnet is refused at preview naming the
 *     cluster, then accepted with acceptReservedOverlaps (no replacement)
 *   - a plan that must hold: a planned subnet another stack takes before
 *     `up` fails the `up` cleanly, naming the holder and the free subnet;
 *     with the component, a preview saved as an update plan makes
 *     `up --plan` refuse a plan that moved
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnosticsOf, plannedChanges, problems, PROGRAMS, readLedger, Stack, subnetsIn, Workspace } from "./support/engine";

const POOL = "10.40.0.0/16";

let workspace: Workspace;
let store: string;
let network: Stack;

beforeAll(async () => {
    workspace = await Workspace.create("address-plans");
    store = await workspace.directory("address-plans-store");
    const project = await workspace.program(path.join(PROGRAMS, "network"));
    network = await project.stack("prod", { nodeCidr: "10.40.0.0/23", podCidr: "10.40.3.0/24" });
    await network.up({ skipPreview: true });
});

afterAll(async () => {
    await workspace?.remove();
});

describe("reserved ranges from another stack's outputs", () => {
    let slice: Stack;

    it("plans around them in the preview, and up allocates exactly the plan", async () => {
        const project = await workspace.program(path.join(PROGRAMS, "slice"), "reserving");
        slice = await project.stack("dev", {
            sliceName: "blue",
            sliceSubnet: POOL,
            storeDirectory: store,
            clusters: ["c-1", "c-2"],
            reservedFrom: "organization/kubeslice-ipam-e2e-network/prod",
        });
        const preview = await slice.preview();
        const requested = preview.steps
            .filter((step) => step.newState?.inputs?.requestedSubnet !== undefined)
            .map((step) => step.newState!.inputs!.requestedSubnet);
        expect(requested.sort()).toEqual(["10.40.2.0/24", "10.40.4.0/24"]);
        const run = await slice.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        expect((await slice.outputs()).subnets).toEqual({ "c-1": "10.40.2.0/24", "c-2": "10.40.4.0/24" });
        const ledger = await readLedger(store, "blue");
        expect((ledger.spec as { reservedRanges?: string[] }).reservedRanges).toEqual(["10.40.0.0/23", "10.40.3.0/24"]);
        expect((await slice.outputs()).availableSubnets).toBe(256 - 3 - 2);
    });

    it("refuses at preview a range added over a held subnet, naming the cluster; accepted, it updates in place", async () => {
        await network.setConfig({ podCidr: "10.40.4.0/22" }); // covers c-2's 10.40.4.0/24
        await network.up({ skipPreview: true });
        const refused = await slice.preview({ allowFailure: true });
        expect(refused.code).not.toBe(0);
        const messages = problems(refused.diagnostics)
            .map((d) => d.message)
            .join("\n");
        expect(messages).toContain('reserved range 10.40.4.0/22 of slice "blue" overlaps subnets held by cluster "c-2" (10.40.4.0/24)');
        expect(subnetsIn(await readLedger(store, "blue"))).toEqual({ "c-1": "10.40.2.0/24", "c-2": "10.40.4.0/24" });

        await slice.setConfig({ acceptReservedOverlaps: true, clusters: ["c-1", "c-2", "c-3"] });
        const preview = await slice.preview();
        expect(plannedChanges(preview).filter((change) => change.startsWith("replace"))).toEqual([]);
        const run = await slice.up({ skipPreview: true });
        expect(run.summary.result).toBe("succeeded");
        // c-2 keeps its subnet; 10.40.3.0/24 is no longer reserved (podCidr moved), so c-3 gets it.
        expect((await slice.outputs()).subnets).toEqual({ "c-1": "10.40.2.0/24", "c-2": "10.40.4.0/24", "c-3": "10.40.3.0/24" });
        // A new cluster skips the whole new range (10.40.4.0/22, where c-2 stays).
        await slice.setConfig({ clusters: ["c-1", "c-2", "c-3", "c-4"] });
        await slice.up({ skipPreview: true });
        expect((await slice.outputs()).subnets["c-4"]).toBe("10.40.8.0/24");
    });
});

describe("a plan that must hold", () => {
    it("fails the up, naming the holder and the subnet free now, when another stack took the planned subnet", async () => {
        const project = await workspace.program(path.join(PROGRAMS, "allocations"), "planned");
        const planned = await project.stack("planned", {
            sliceName: "blue",
            storeDirectory: store,
            clusters: ["p-1"],
            planned: { "p-1": "10.40.9.0/24" },
            planMustHold: true,
        });
        expect((await planned.preview()).code).toBe(0);

        // Another stack joins between the reviewed preview and the up, and takes the planned subnet first-fit.
        const otherProject = await workspace.program(path.join(PROGRAMS, "allocations"), "other");
        const other = await otherProject.stack("other", { sliceName: "blue", storeDirectory: store, clusters: ["o-1"] });
        await other.up({ skipPreview: true });
        expect((await other.outputs()).subnets).toEqual({ "o-1": "10.40.9.0/24" });

        const run = await planned.up({ skipPreview: true, allowFailure: true });
        expect(run.code).not.toBe(0);
        expect(run.summary.result).toBe("failed");
        const messages = problems(diagnosticsOf(run.events))
            .map((d) => d.message)
            .join("\n");
        expect(messages).toContain(
            'slice "blue": the planned subnet 10.40.9.0/24 for cluster "p-1" was taken by cluster "o-1" after the preview, and planMustHold is set, ' +
                "so nothing was allocated. The lowest free subnet now is 10.40.10.0/24.",
        );
        expect(subnetsIn(await readLedger(store, "blue"))).not.toHaveProperty("p-1");

        // The default keeps going: the same plan without planMustHold falls back to first-fit.
        await planned.setConfig({ planMustHold: false });
        await planned.up({ skipPreview: true });
        expect((await planned.outputs()).subnets).toEqual({ "p-1": "10.40.10.0/24" });
    });

    it("with the component and a reviewed preview saved as an update plan, up --plan refuses a plan that moved", async () => {
        const project = await workspace.program(path.join(PROGRAMS, "slice"), "reviewed");
        const reviewed = await project.stack("reviewed", {
            sliceName: "green",
            sliceSubnet: "10.41.0.0/16",
            storeDirectory: store,
            clusters: ["r-1"],
            planMustHold: true,
        });
        await reviewed.up({ skipPreview: true });
        await reviewed.setConfig({ clusters: ["r-1", "r-2"] });
        const planFile = path.join(project.dir, "plan.json");
        await project.run(["preview", "--save-plan", planFile, "--stack", "reviewed"]);

        const otherProject = await workspace.program(path.join(PROGRAMS, "allocations"), "other-green");
        const other = await otherProject.stack("other-green", { sliceName: "green", storeDirectory: store, clusters: ["o-2"] });
        await other.up({ skipPreview: true });
        expect((await other.outputs()).subnets).toEqual({ "o-2": "10.41.1.0/24" }); // the subnet the preview planned for r-2

        const run = await project.run(["up", "--yes", "--plan", planFile, "--stack", "reviewed"], { allowFailure: true });
        expect(run.code).not.toBe(0);
        // The engine compares the re-planned inputs (requestedSubnet, and the manifests rendered from it) with the reviewed ones.
        expect(`${run.stdout}\n${run.stderr}`).toMatch(/violates plan: properties changed/);
        expect(subnetsIn(await readLedger(store, "green"))).toEqual({ "r-1": "10.41.0.0/24", "o-2": "10.41.1.0/24" });
    });
});
