import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Allocation } from "../../provider/core/ledger";
import { findRepoRoot } from "./provider-host";

export interface WorkerResult {
    readonly code: number | null;
    readonly stderr: string;
    /** What the worker allocated (empty when it failed). */
    readonly allocations: Allocation[];
    /** Compare-and-swap attempts the worker lost (0 when it failed). */
    readonly conflicts: number;
}

/**
 * Starts one OS process per prefix, each allocating `count` clusters in one
 * slice, and releases them all at once when every one is ready, so that the
 * allocations really overlap. `store` is a file store directory or a store spec.
 */
export async function allocateFromProcesses(
    store: string | object,
    sliceName: string,
    prefixes: readonly string[],
    count: number,
    /** Called when the workers are told to start: process start-up is not part of a measurement. */
    onGo: () => void = () => undefined,
    /** Extra environment of each worker, e.g. the PULUMI_PROJECT its history events name. */
    envOf: (prefix: string) => NodeJS.ProcessEnv = () => ({}),
): Promise<WorkerResult[]> {
    // From the repository root, so that the benchmark (compiled into dist/) finds it too.
    const worker = path.join(findRepoRoot(__dirname), "test/support/allocate-worker.cjs");
    const where = typeof store === "string" ? store : JSON.stringify(store);
    const children = prefixes.map((prefix) =>
        spawn(process.execPath, [worker, where, sliceName, prefix, String(count)], {
            stdio: ["pipe", "pipe", "pipe"],
            env: { ...process.env, ...envOf(prefix) },
        }),
    );
    const finished = children.map(
        (child) =>
            new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
                let stdout = "";
                let stderr = "";
                child.stdout!.on("data", (chunk) => (stdout += chunk));
                child.stderr!.on("data", (chunk) => (stderr += chunk));
                child.on("exit", (code) => resolve({ code, stdout, stderr }));
            }),
    );
    await Promise.all(children.map((child) => new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()))));
    onGo();
    children.forEach((child) => child.stdin!.write("go\n"));
    return (await Promise.all(finished)).map(({ code, stdout, stderr }) => ({
        code,
        stderr,
        allocations: code === 0 ? (JSON.parse(stdout.split("\n")[1]) as Allocation[]) : [],
        conflicts: code === 0 ? (JSON.parse(stdout.split("\n")[2]) as { conflicts: number }).conflicts : 0,
    }));
}
