/**
 * A pull request's changes from `pulumi preview --json` (cli/preview-plan.ts).
 * The fixture is the real engine's output for examples/quickstart after
 * `pulumi up` with worker-1 and worker-2, its clusters changed to worker-1,
 * worker-3 and worker-4 (machine paths, stack traces and source positions cut).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { allocate, SliceLedger } from "../../provider/core/ledger";
import { glyphOf } from "../../cli/map-legend";
import { sliceMap } from "../../cli/map-layout";
import { planSlice, PreviewStepChange, readPreview, unplacedChanges } from "../../cli/preview-plan";
import { emptyLedger, MAP_NOW } from "../support/map-ledgers";

const PREVIEW = JSON.parse(readFileSync(path.join(__dirname, "../fixtures/preview/quickstart-worker-2-out-3-and-4-in.json"), "utf8"));

function quickstartLedger(extra: readonly [string, number][] = []): SliceLedger {
    let ledger = emptyLedger({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", subnetSize: 24 });
    for (const [cluster, index] of [["worker-1", 0], ["worker-2", 1], ...extra] as const) {
        const result = allocate(ledger, cluster, new Date("2026-03-01T10:00:00Z"), { requestedIndex: index });
        if (!result.ok) {
            throw new Error(result.issue.message);
        }
        ledger = result.ledger;
    }
    return ledger;
}

describe("reading a preview", () => {
    it("takes the SubnetAllocation creates and deletes of `pulumi preview --json`, and nothing else", () => {
        expect(readPreview(PREVIEW)).toEqual({
            ok: true,
            changes: [
                { change: "add", clusterName: "worker-3", sliceName: "blue", subnet: "10.2.2.0/24" },
                { change: "add", clusterName: "worker-4", sliceName: "blue", subnet: "10.2.3.0/24" },
                { change: "release", clusterName: "worker-2", sliceName: "blue", subnet: "10.2.1.0/24" },
            ],
        });
    });

    it("knows the native provider's type token, and reads values the preview does not know as absent", () => {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const document = {
            steps: [
                {
                    op: "create",
                    newState: {
                        type: "kubeslice-ipam:index:SubnetAllocation",
                        inputs: { clusterName: "w-9", sliceName: unknown, requestedSubnet: "10.2.9.0/24" },
                    },
                },
                { op: "create", newState: { type: "kubeslice-ipam:index:SliceIpam", inputs: { sliceName: "blue" } } },
                { op: "update", newState: { type: "kubeslice-ipam:index:SubnetAllocation", inputs: { clusterName: "w-1", sliceName: "blue" } } },
            ],
        };
        expect(readPreview(document)).toEqual({ ok: true, changes: [{ change: "add", clusterName: "w-9", subnet: "10.2.9.0/24" }] });
    });

    it.each([
        ["an array", []],
        ["an object without steps", { changeSummary: {} }],
        ["null", null],
    ])("refuses %s, naming what it expects", (_what, document) => {
        expect(readPreview(document)).toEqual({ ok: false, reason: expect.stringContaining("`pulumi preview --json`") });
    });

    it("refuses an allocation step without a cluster name", () => {
        const document = { steps: [{ op: "delete", oldState: { type: "pulumi-nodejs:dynamic/kubeslice-ipam:SubnetAllocation", inputs: {} } }] };
        expect(readPreview(document)).toEqual({ ok: false, reason: "a SubnetAllocation step to release has no known clusterName" });
    });
});

describe("applying a preview to the ledger", () => {
    const changes = (readPreview(PREVIEW) as { changes: readonly PreviewStepChange[] }).changes;

    it("adds at the planned subnets and releases, as `pulumi up` would", () => {
        const plan = planSlice(quickstartLedger(), changes, MAP_NOW);
        expect(plan.rows).toEqual([
            { clusterName: "worker-3", change: "add", outcome: "joins", subnet: "10.2.2.0/24" },
            { clusterName: "worker-4", change: "add", outcome: "joins", subnet: "10.2.3.0/24" },
            { clusterName: "worker-2", change: "release", outcome: "is released", subnet: "10.2.1.0/24" },
        ]);
        expect(plan.kept).toBe(1);
        expect([...plan.changes]).toEqual([
            [2, "add"],
            [3, "add"],
            [1, "release"],
        ]);
        expect(plan.after.allocations.map((entry) => `${entry.clusterName} ${entry.status}`)).toEqual([
            "worker-1 Allocated",
            "worker-2 Released",
            "worker-3 Allocated",
            "worker-4 Allocated",
        ]);
        // The map of the result marks the changes: - released, + joining.
        const map = sliceMap(plan.after, MAP_NOW, { maxCells: 256, changes: plan.changes });
        expect(map.cells.slice(0, 6).map(glyphOf).join("")).toBe("A-++..");
        expect(sliceMap(plan.before, MAP_NOW, { maxCells: 256 }).cells.slice(0, 6).map(glyphOf).join("")).toBe("AA....");
    });

    it("says when the ledger moved on since the preview: a planned subnet taken by another stack", () => {
        const plan = planSlice(quickstartLedger([["other-stack", 2]]), changes, MAP_NOW);
        // First-fit then gives worker-3 the next free subnet, the one planned for worker-4, which moves on in turn.
        expect(plan.rows.slice(0, 2)).toEqual([
            {
                clusterName: "worker-3",
                change: "add",
                outcome: "joins",
                subnet: "10.2.3.0/24",
                problem: 'the preview planned 10.2.2.0/24, which "other-stack" holds now: run the preview again',
            },
            {
                clusterName: "worker-4",
                change: "add",
                outcome: "joins",
                subnet: "10.2.4.0/24",
                problem: 'the preview planned 10.2.3.0/24, which "worker-3" holds now: run the preview again',
            },
        ]);
    });

    it("leaves other slices alone, and names changes for slices the store does not hold", () => {
        const green = emptyLedger({ sliceName: "green", sliceSubnet: "10.3.0.0/16", subnetSize: 24 });
        expect(planSlice(green, changes, MAP_NOW).rows).toEqual([]);
        expect(unplacedChanges([green], changes).map((change) => change.clusterName)).toEqual(["worker-3", "worker-4", "worker-2"]);
        expect(unplacedChanges([green, quickstartLedger()], changes)).toEqual([]);
    });

    it("places a change whose slice name is unknown by its subnet", () => {
        const plan = planSlice(quickstartLedger(), [{ change: "add", clusterName: "w-9", subnet: "10.2.9.0/24" }], MAP_NOW);
        expect(plan.rows).toEqual([{ clusterName: "w-9", change: "add", outcome: "joins", subnet: "10.2.9.0/24" }]);
    });
});
