/**
 * 13. The package as a user installs it: `npm pack`'s tarball into a program
 * of its own, outside this repository, beside the `@pulumi/pulumi` the
 * program chose. The package declares the Pulumi SDKs as peer dependencies,
 * so the program's copy is the only one; this runs the lowest and the newest
 * release of the supported range, on this machine's Node.js.
 */
import { execFile } from "node:child_process";
import { promises as fs, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyProgram, EXAMPLES, REPO, Workspace } from "./support/engine";

const run = promisify(execFile);

// Read synchronously: top-level await is not available to CommonJS test files (npm run typecheck).
const manifest = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8"));
const LOWEST_SDK = /^\^(\d+\.\d+\.\d+)$/.exec(manifest.peerDependencies["@pulumi/pulumi"])![1];
/** The newest @pulumi/pulumi on the registry when last checked (`npm view @pulumi/pulumi version`); bump it. */
const NEWEST_SDK = "3.276.0";

let tarball: string;
let packDir: string;

beforeAll(async () => {
    packDir = await fs.mkdtemp(path.join(tmpdir(), "kubeslice-ipam-pack-"));
    // The suite's global setup built dist/; pack what `files` publishes.
    const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: REPO });
    tarball = path.join(packDir, stdout.trim().split("\n").pop()!);
});

afterAll(async () => {
    await fs.rm(packDir, { recursive: true, force: true });
});

describe.each([
    ["lowest", LOWEST_SDK],
    ["newest", NEWEST_SDK],
])("installed from its tarball beside the %s supported @pulumi/pulumi (%s)", (_which, sdkVersion) => {
    let workspace: Workspace;
    let programDir: string;

    beforeAll(async () => {
        workspace = await Workspace.create(`sdk-${sdkVersion}`, path.join(tmpdir(), "kubeslice-ipam-e2e"));
        programDir = path.join(workspace.dir, "quickstart");
        await copyProgram(path.join(EXAMPLES, "quickstart"), programDir);
        const pkg = JSON.parse(await fs.readFile(path.join(programDir, "package.json"), "utf8"));
        pkg.dependencies = { "@pulumi/pulumi": sdkVersion, "kubeslice-ipam": `file:${tarball}` };
        await fs.writeFile(path.join(programDir, "package.json"), JSON.stringify(pkg, null, 2));
        await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: programDir, timeout: 600_000 });
    });

    afterAll(async () => {
        await workspace?.remove();
    });

    it("installs one copy of each Pulumi SDK: the program's @pulumi/pulumi, and @pulumi/kubernetes as the peer", async () => {
        // `npm query` lists the packages as installed on disk, one entry per copy.
        const { stdout } = await run("npm", ["query", "#@pulumi/pulumi, #@pulumi/kubernetes"], { cwd: programDir });
        const copies = (JSON.parse(stdout) as { name: string; version: string; location: string }[])
            .map((n) => `${n.name}@${n.version} ${n.location}`)
            .sort();
        expect(copies).toEqual([
            `@pulumi/kubernetes@${manifest.devDependencies["@pulumi/kubernetes"]} node_modules/@pulumi/kubernetes`,
            `@pulumi/pulumi@${sdkVersion} node_modules/@pulumi/pulumi`,
        ]);
    });

    it("runs the quickstart: up, a preview with no changes, destroy", async () => {
        const project = workspace.project(programDir);
        const stack = await project.stack("dev");
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        expect((await stack.outputs()).subnets).toEqual({ "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" });
        expect((await stack.preview({ expectNoChanges: true })).code).toBe(0);
        expect((await stack.destroy()).summary.result).toBe("succeeded");
        expect(await stack.resources()).toEqual([]);
    });
});
