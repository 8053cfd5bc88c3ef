/** The built `slice-ipam` command run as a process, the way an operator or a CronJob runs it. */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { findRepoRoot } from "./provider-host";

export const CLI = path.join(findRepoRoot(__dirname), "dist", "bin", "slice-ipam.js");

export interface CliRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export function startCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
    return spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs a command to its end (killed after 30 s). */
export function runCli(args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<CliRun> {
    const child = startCli(args, cwd, env);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    return new Promise((resolve) =>
        child.once("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        }),
    );
}

/** A running `metrics --listen` exporter: its URL from its startup line, its stderr so far, and a stop that returns the exit code. */
export interface RunningExporter {
    readonly url: string;
    stderr(): string;
    stop(): Promise<number | null>;
}

export async function startExporter(args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<RunningExporter> {
    const child = startCli(["metrics", ...args], cwd, env);
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stderr! }).on("line", (line) => {
            stderr += `${line}\n`;
            const match = /^serving metrics of .* at (http:\/\/\S+\/metrics)$/.exec(line);
            if (match) {
                resolve(match[1]);
            }
        });
        void closed.then(() => reject(new Error(`exporter exited before serving:\n${stderr}`)));
    });
    return {
        url,
        stderr: () => stderr,
        stop: async () => {
            child.kill("SIGTERM");
            const code = await closed;
            clearTimeout(killer);
            return code;
        },
    };
}
