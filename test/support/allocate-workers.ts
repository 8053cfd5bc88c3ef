import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Allocation } from "../../provider/core/ledger";

export interface WorkerResult {
    readonly code: number | null;
    readonly stderr: string;
    /** What the worker allocated (empty when it failed). */
    readonly allocations: Allocation[];
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
): Promise<WorkerResult[]> {
    const worker = path.join(__dirname, "allocate-worker.cjs");
    const where = typeof store === "string" ? store : JSON.stringify(store);
    const children = prefixes.map((prefix) =>
        spawn(process.execPath, [worker, where, sliceName, prefix, String(count)], { stdio: ["pipe", "pipe", "pipe"] }),
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
    children.forEach((child) => child.stdin!.write("go\n"));
    return (await Promise.all(finished)).map(({ code, stdout, stderr }) => ({
        code,
        stderr,
        allocations: code === 0 ? (JSON.parse(stdout.split("\n")[1]) as Allocation[]) : [],
    }));
}
