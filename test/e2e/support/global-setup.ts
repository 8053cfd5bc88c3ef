/**
 * Before the end-to-end suite: build dist/ (programs load the built package
 * through node_modules/kubeslice-ipam → the repository), and find the pinned
 * Pulumi CLI and pulumi-kubernetes provider. test/pulumi-cli/build.sh prints its bin dir, building it from
 * the Go module proxy first if the cache lacks it (~8 min cold; `source
 * test/pulumi-cli/env.sh` beforehand does the same and is what CI does).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import buildDist from "../../support/build-once";

const repo = path.resolve(__dirname, "../../..");

export default function setup(project: TestProject): void {
    buildDist();

    const bin = execFileSync(path.join(repo, "test/pulumi-cli/build.sh"), { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    const pinned = /require github\.com\/pulumi\/pulumi\/pkg\/v3 (v\S+)/.exec(readFileSync(path.join(repo, "test/pulumi-cli/go.mod"), "utf8"))?.[1];
    // A throwaway PULUMI_HOME: even `pulumi version` writes a log there, and ~/.pulumi is not ours.
    const home = mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-e2e-home-"));
    let version: string;
    try {
        version = execFileSync(path.join(bin, "pulumi"), ["version"], {
            encoding: "utf8",
            env: { ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" },
        }).trim();
    } finally {
        rmSync(home, { recursive: true, force: true });
    }
    if (pinned === undefined || version !== pinned) {
        throw new Error(`${bin}/pulumi reports ${version}, but test/pulumi-cli/go.mod pins ${pinned}`);
    }
    project.provide("pulumiBin", bin);
    // The real pulumi-kubernetes provider (~25 min the first time, then cached),
    // found by the engine on PATH as an ambient plugin.
    const kubernetesBin = execFileSync(path.join(repo, "test/pulumi-kubernetes/build.sh"), {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    project.provide("kubernetesPluginBin", kubernetesBin);
}
