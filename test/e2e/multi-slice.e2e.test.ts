/**
 * examples/multi-slice with the real engine:
 *   independent pools: blue (10.2.0.0/16) and red (10.3.0.0/16) each start at their first subnet
 *   9. destroy releases every allocation before deleting its slice, and leaves nothing behind
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    ALLOCATION_TYPE,
    COMPONENT_TYPE,
    EXAMPLES,
    nameOf,
    Project,
    readLedger,
    resourceEvents,
    SLICE_TYPE,
    sliceIsGone,
    Stack,
    Workspace,
} from "./support/engine";

let workspace: Workspace;
let project: Project;
let stack: Stack;
let store: string;

beforeAll(async () => {
    workspace = await Workspace.create("multi-slice");
    project = await workspace.program(path.join(EXAMPLES, "multi-slice"));
    store = path.join(project.dir, ".slice-ipam");
    stack = await project.stack("dev");
});

afterAll(async () => {
    await workspace?.remove();
});

describe("examples/multi-slice with the real engine", () => {
    it("two slices allocate from independent pools", async () => {
        const run = await stack.up({ skipPreview: true });
        expect(run.summary.resourceChanges).toEqual({ create: 9 });
        expect((await stack.outputs()).subnets).toEqual({
            blue: { "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" },
            red: { "worker-3": "10.3.0.0/24", "worker-4": "10.3.1.0/24" },
        });
        expect((await readLedger(store, "blue")).allocations.map((a) => a.clusterName).sort()).toEqual(["worker-1", "worker-2"]);
        expect((await readLedger(store, "red")).allocations.map((a) => a.clusterName).sort()).toEqual(["worker-3", "worker-4"]);
    });

    it("9. destroy releases every allocation before deleting its slice, in a valid order, and leaves nothing behind", async () => {
        const run = await stack.destroy();
        expect(run.summary.result).toBe("succeeded");
        expect(run.summary.resourceChanges).toEqual({ delete: 9 });

        const events = resourceEvents(run.events).filter((e) => e.meta.op === "delete");
        const position = (kind: "pre" | "outputs", type: string, name: string) =>
            events.findIndex((e) => e.kind === kind && e.meta.type === type && nameOf(e.meta.urn) === name);
        for (const [slice, clusters] of [
            ["blue", ["worker-1", "worker-2"]],
            ["red", ["worker-3", "worker-4"]],
        ] as const) {
            const sliceDeleteStarts = position("pre", SLICE_TYPE, slice);
            expect(sliceDeleteStarts).toBeGreaterThanOrEqual(0);
            for (const cluster of clusters) {
                const released = position("outputs", ALLOCATION_TYPE, `${slice}-${cluster}`);
                expect(released).toBeGreaterThanOrEqual(0);
                expect(released).toBeLessThan(sliceDeleteStarts);
            }
            // The component goes last, after its children.
            expect(position("outputs", SLICE_TYPE, slice)).toBeLessThan(position("pre", COMPONENT_TYPE, slice));
        }

        expect(await stack.resources()).toEqual([]);
        for (const slice of ["blue", "red"]) {
            expect(await sliceIsGone(store, slice)).toBe(true);
        }
    });
});
