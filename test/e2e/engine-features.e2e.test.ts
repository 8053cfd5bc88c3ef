/**
 * 12. Features only a current Node.js language host carries: a stack
 * transform and a resource hook, applied to the allocations KubeSliceIpam
 * creates as its children. A language host older than the CLI's resource
 * monitor answers RegisterStackTransform and RegisterResourceHook with
 * UNIMPLEMENTED, so the first `up` here fails on a regression to one.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    ALLOCATION_TYPE,
    describeFailure,
    parseEngineOutput,
    PROGRAMS,
    problems,
    Project,
    readLedger,
    Stack,
    subnetsIn,
    Workspace,
} from "./support/engine";

let workspace: Workspace;
let project: Project;
let stack: Stack;
let store: string;
let journal: string;

beforeAll(async () => {
    workspace = await Workspace.create("engine-features");
    store = await workspace.directory("store");
    journal = path.join(workspace.dir, "journal.txt");
    project = await workspace.program(path.join(PROGRAMS, "engine-features"));
    stack = await project.stack("dev", { clusters: ["worker-1", "worker-2"], storeDirectory: store, journal });
});

afterAll(async () => {
    await workspace?.remove();
});

const journalLines = async () =>
    (await fs.readFile(journal, "utf8").catch(() => ""))
        .split("\n")
        .filter((line) => line !== "")
        .sort();
const allocations = async () => (await stack.resources()).filter((r) => r.type === ALLOCATION_TYPE);

describe("a current language host", () => {
    it("applies a stack transform and an afterCreate hook to the component's allocations", async () => {
        const run = await stack.up({ allowFailure: true });
        expect(run.code, describeFailure(run)).toBe(0);
        expect(await journalLines()).toEqual(["worker-1 10.8.0.0/24", "worker-2 10.8.1.0/24"]);
        const allocated = await allocations();
        // State lists resources in the order they completed, which parallel creates do not fix.
        expect(allocated.map((r) => [r.id, r.protect]).sort()).toEqual([
            ["blue/worker-1", true],
            ["blue/worker-2", true],
        ]);
    });

    it("keeps a protected allocation: removing its cluster fails and the ledger still holds it", async () => {
        await stack.setConfig({ clusters: ["worker-1"] });
        // The engine refuses in the preview, before any provider call.
        const run = await project.run(["up", "--yes", "--json", "--stack", "dev"], { allowFailure: true });
        expect(run.code).not.toBe(0);
        const errors = problems(parseEngineOutput(run.stdout).preview?.diagnostics).filter((d) => d.severity === "error");
        expect(errors.map((d) => d.message).join("\n")).toMatch(/SubnetAllocation::blue-worker-2" cannot be deleted\s+because it is protected/);
        expect(subnetsIn(await readLedger(store, "blue"), "Allocated")).toEqual({ "worker-1": "10.8.0.0/24", "worker-2": "10.8.1.0/24" });
    });

    it("unprotected by the same transform, the cluster leaves (Released) and destroy removes the rest", async () => {
        await stack.setConfig({ clusters: ["worker-1", "worker-2"], protect: false });
        expect((await stack.up()).summary.result).toBe("succeeded");
        expect((await allocations()).map((r) => r.protect ?? false)).toEqual([false, false]);

        await stack.setConfig({ clusters: ["worker-1"] });
        expect((await stack.up()).summary.result).toBe("succeeded");
        expect(subnetsIn(await readLedger(store, "blue"), "Released")).toEqual({ "worker-2": "10.8.1.0/24" });
        // The hook runs after creates only: nothing was created since the first up.
        expect(await journalLines()).toEqual(["worker-1 10.8.0.0/24", "worker-2 10.8.1.0/24"]);

        expect((await stack.destroy()).summary.result).toBe("succeeded");
        expect(await stack.resources()).toEqual([]);
    });
});
