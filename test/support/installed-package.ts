/**
 * The package as a program gets it from npm: a real directory
 * `<program>/node_modules/kubeslice-ipam` holding `package.json` and `dist/`,
 * so its resources store the package-relative handlers id, as installed
 * packages do, and replacing the directory is an upgrade. Its own
 * dependencies and `@pulumi/pulumi` resolve up to the repository's
 * node_modules, one copy for program and package alike.
 */
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { findRepoRoot } from "./provider-host";

// From test/support or, compiled for the benchmark, dist/test/support.
const REPO = findRepoRoot(__dirname);

/** The last commit whose resources stored the closure-serialized forwarding provider (kubeslice-ipam before `providerModuleText`). */
export const CLOSURE_PROVIDER_COMMIT = "35e972e7dba92f97cf8b0f590cc0ff05d4c14fb0";

/**
 * Builds the package as it was at `commit` (git archive, then its own
 * `tsconfig.build.json`) in `dir`, which must be inside the repository so the
 * build resolves the repository's node_modules. Returns the package root.
 */
export async function buildPackageAt(commit: string, dir: string): Promise<string> {
    await fs.mkdir(dir, { recursive: true });
    const archive = execFileSync("git", ["-C", REPO, "archive", "--format=tar", commit], { maxBuffer: 1 << 28 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    execFileSync(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
    return dir;
}

/** The repository's own build (run `npm run build` first). */
export const CURRENT_PACKAGE = REPO;

/** Installs a built package into a program, replacing the one there: `package.json` and `dist/`. */
export async function installPackage(packageRoot: string, programDir: string): Promise<void> {
    const target = path.join(programDir, "node_modules", "kubeslice-ipam");
    await fs.rm(target, { recursive: true, force: true });
    await fs.mkdir(target, { recursive: true });
    await fs.copyFile(path.join(packageRoot, "package.json"), path.join(target, "package.json"));
    await fs.cp(path.join(packageRoot, "dist"), path.join(target, "dist"), { recursive: true });
}
