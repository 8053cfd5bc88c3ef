/**
 * 11. The repository's root Pulumi.yaml (main: examples/quickstart/) runs with
 * the commands the README gives: log in to a local backend, passphrase in the
 * environment, `pulumi stack init dev`, `pulumi up`. The root project is
 * mirrored into the workspace (Pulumi.yaml byte for byte, examples/quickstart
 * beside it) so that the stack's config file, the store and the manifests do
 * not land in the repository. The login is the README's alternative
 * `pulumi login file://<dir>`: `pulumi login --local` means the account's
 * real ~/.pulumi (resolved from the user database, not $HOME), which a test
 * must not touch. Type checking stays on, as for a user.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { copyProgram, EXAMPLES, parseEngineOutput, readLedger, REPO, Workspace } from "./support/engine";

let workspace: Workspace;
let root: string;
let state: string;

beforeAll(async () => {
    workspace = await Workspace.create("root-project");
    root = await workspace.directory("repo");
    state = await workspace.directory("state");
    await fs.copyFile(path.join(REPO, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    await copyProgram(path.join(EXAMPLES, "quickstart"), path.join(root, "examples", "quickstart"));
});

afterAll(async () => {
    await workspace?.remove();
});

// What a user's shell has after `export PULUMI_CONFIG_PASSPHRASE=…`: no backend URL (PULUMI_HOME
// stays the workspace's, where `pulumi login` records the backend), type checking on.
const run = (args: string[]) => workspace.run(root, args, { env: { PULUMI_BACKEND_URL: undefined, PULUMI_NODEJS_TRANSPILE_ONLY: undefined } });

describe("the root Pulumi.yaml", () => {
    it("11. runs examples/quickstart with `pulumi login file://<dir>`, `pulumi stack init dev`, `pulumi up`", async () => {
        const project = parseYaml(await fs.readFile(path.join(root, "Pulumi.yaml"), "utf8"));
        expect(project).toMatchObject({ name: "kubeslice-ipam-quickstart", runtime: { name: "nodejs" }, main: "examples/quickstart/" });

        await run(["login", `file://${state}`]);
        await run(["stack", "init", "dev"]);
        const up = await run(["up", "--yes", "--json"]);
        const summary = parseEngineOutput(up.stdout).events.find((e) => e.summaryEvent)?.summaryEvent;
        expect(summary).toMatchObject({ result: "succeeded", resourceChanges: { create: 7 } });

        const outputs = JSON.parse((await run(["stack", "output", "--json"])).stdout);
        expect(outputs.subnets).toEqual({ "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" });
        // The program runs in its main directory: the store and the manifests are there.
        const program = path.join(root, "examples", "quickstart");
        expect(Object.keys(await readLedger(path.join(program, ".slice-ipam"), "blue"))).toContain("allocations");
        expect(await fs.readFile(path.join(program, "manifests", "blue-worker-1.yaml"), "utf8")).toBe(outputs.manifests["worker-1"]);
        // The state is in the backend logged in to.
        await fs.access(path.join(state, ".pulumi", "stacks", "kubeslice-ipam-quickstart", "dev.json"));

        expect((await run(["preview", "--expect-no-changes"])).code).toBe(0);
    });
});
