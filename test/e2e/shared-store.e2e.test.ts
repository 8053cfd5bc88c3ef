/**
 * Several stacks on one file store, with the real engine:
 *   7. adoption: a new stack declaring a cluster that already holds an
 *      allocation (made by another stack) adopts it; `pulumi import` cannot
 *      (dynamic resources, pulumi/pulumi#16175) and docs/resources.md says so
 *  10. two stacks sharing the store allocate in parallel without duplicates,
 *      with plain SubnetAllocations and with KubeSliceIpam (planned subnets)
 * The slice "green" is registered by the platform stack (programs/slice);
 * team stacks use programs/allocations or programs/slice.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
    ALLOCATION_TYPE,
    describeFailure,
    diagnosticsOf,
    EngineRun,
    heldTwice,
    ledgerFile,
    parseEngineOutput,
    plannedChanges,
    problems,
    PROGRAMS,
    readLedger,
    REPO,
    Stack,
    subnetsIn,
    Workspace,
} from "./support/engine";

const POOL = "10.30.0.0/16";

let workspace: Workspace;
let store: string;
let platform: Stack;

beforeAll(async () => {
    workspace = await Workspace.create("shared-store");
    store = await workspace.directory("shared-store");
    const project = await workspace.program(path.join(PROGRAMS, "slice"), "platform");
    platform = await project.stack("prod", { sliceName: "green", sliceSubnet: POOL, storeDirectory: store, clusters: ["c-1", "c-2"] });
    await platform.up({ skipPreview: true });
    expect((await platform.outputs()).subnets).toEqual({ "c-1": "10.30.0.0/24", "c-2": "10.30.1.0/24" });
});

afterAll(async () => {
    await workspace?.remove();
});

/** A team's stack declaring SubnetAllocations in "green" only (the slice belongs to the platform stack). */
async function teamStack(name: string, clusters: string[]): Promise<Stack> {
    const project = await workspace.program(path.join(PROGRAMS, "allocations"), name);
    // One backend holds every stack of the workspace: stack names are unique per project name.
    return project.stack(name, { sliceName: "green", storeDirectory: store, clusters });
}

describe("stacks sharing one file store, with the real engine", () => {
    let team: Stack;

    it("7. `pulumi import` cannot adopt an allocation (dynamic resources, pulumi/pulumi#16175); docs/resources.md says so and what to do", async () => {
        const readme = await fs.readFile(path.join(REPO, "docs", "resources.md"), "utf8");
        expect(readme).toContain("`pulumi import`");
        expect(readme).toContain("pulumi/pulumi#16175");
        expect(readme).toMatch(/declare the resource\s+and run `pulumi up` instead/);

        team = await teamStack("team-a", ["c-1"]);
        const before = await fs.readFile((await ledgerFile(store, "green"))!);
        const result = await team.project.run(["import", ALLOCATION_TYPE, "green-c-1", "green/c-1", "--yes", "--json", "--stack", team.name], {
            allowFailure: true,
        });
        expect(result.code).not.toBe(0);
        const { preview, events } = parseEngineOutput(result.stdout);
        const errors = problems([...(preview?.diagnostics ?? []), ...diagnosticsOf(events)]);
        // The dynamic-provider host has no serialized provider to read with.
        expect(errors.find((d) => d.urn?.endsWith("::green-c-1"))?.message).toMatch(/toJavaScript|__provider/);
        expect((await team.resources()).filter((r) => r.type === ALLOCATION_TYPE)).toEqual([]);
        expect(await fs.readFile((await ledgerFile(store, "green"))!)).toEqual(before);
    });

    it("7. adoption: a new stack declaring a cluster that holds an allocation adopts it — same subnet, nothing allocated", async () => {
        const before = await readLedger(store, "green");
        const run = await team.up();
        // The stack resource itself (a new stack) and the adopted allocation.
        expect(plannedChanges(run.preview!)).toEqual(
            ["create pulumi:pulumi:Stack kubeslice-ipam-e2e-allocations-team-a", `create ${ALLOCATION_TYPE} green-c-1`].sort(),
        );
        expect(run.summary.resourceChanges).toEqual({ create: 2 });
        const outputs = await team.outputs();
        expect(outputs.subnets).toEqual({ "c-1": "10.30.0.0/24" });
        expect(outputs.allocations["c-1"]).toMatchObject({
            index: 0,
            allocatedAt: before.allocations.find((a) => a.clusterName === "c-1")!.allocatedAt,
        });
        const after = await readLedger(store, "green");
        expect(subnetsIn(after)).toEqual(subnetsIn(before));
        expect(after.allocations.map((a) => [a.clusterName, a.subnet, a.index, a.allocatedAt])).toEqual(
            before.allocations.map((a) => [a.clusterName, a.subnet, a.index, a.allocatedAt]),
        );
        // Both stacks now report the same subnet for c-1; the platform stack sees no change.
        expect((await platform.preview({ expectNoChanges: true })).code).toBe(0);
    });

    it("10. two stacks of SubnetAllocations sharing the store allocate in parallel without duplicates", async () => {
        const p = await teamStack("team-p", ["p-1", "p-2", "p-3", "p-4", "p-5", "p-6"]);
        const q = await teamStack("team-q", ["q-1", "q-2", "q-3", "q-4", "q-5", "q-6"]);
        const runs = await Promise.allSettled([p.up(), q.up()]);
        expectBothSucceeded(runs);

        const ledger = await readLedger(store, "green");
        expect(heldTwice(ledger.allocations)).toEqual([]);
        const held = subnetsIn(ledger);
        for (const stack of [p, q]) {
            const subnets: Record<string, string> = (await stack.outputs()).subnets;
            expect(Object.keys(subnets)).toHaveLength(6);
            for (const [cluster, cidr] of Object.entries(subnets)) {
                expect(held[cluster]).toBe(cidr);
            }
        }
        expect(Object.keys(held).sort()).toEqual(["c-1", "c-2", ...["p", "q"].flatMap((t) => [1, 2, 3, 4, 5, 6].map((i) => `${t}-${i}`))].sort());
    });

    it("10. two KubeSliceIpam stacks (planned subnets) sharing the slice run `pulumi up` in parallel: both succeed, no duplicates", async () => {
        const stacks = await Promise.all(
            ["k", "l"].map(async (team) => {
                const project = await workspace.program(path.join(PROGRAMS, "slice"), `team-${team}`);
                return project.stack(`team-${team}`, {
                    sliceName: "green",
                    sliceSubnet: POOL,
                    storeDirectory: store,
                    clusters: [1, 2, 3, 4, 5].map((i) => `${team}-${i}`),
                });
            }),
        );
        const runs = await Promise.allSettled(stacks.map((stack) => stack.up()));
        expectBothSucceeded(runs);

        const ledger = await readLedger(store, "green");
        expect(heldTwice(ledger.allocations)).toEqual([]);
        const held = subnetsIn(ledger);
        for (const stack of stacks) {
            const outputs = await stack.outputs();
            const subnets: Record<string, string> = outputs.subnets;
            expect(Object.keys(subnets)).toHaveLength(5);
            for (const [cluster, cidr] of Object.entries(subnets)) {
                expect(held[cluster]).toBe(cidr);
                // Rendered from the subnet actually allocated, even where a planned one was taken meanwhile.
                expect(parseYaml(outputs.manifests[cluster]).spec.clusterSubnetCIDR).toBe(cidr);
            }
        }
    });
});

function expectBothSucceeded(runs: PromiseSettledResult<EngineRun>[]): void {
    const failures = runs.flatMap((r) => (r.status === "rejected" ? [String(r.reason?.message ?? r.reason)] : []));
    expect(failures).toEqual([]);
    for (const run of runs) {
        if (run.status === "fulfilled") {
            expect(run.value.summary.result, describeFailure(run.value)).toBe("succeeded");
        }
    }
}
