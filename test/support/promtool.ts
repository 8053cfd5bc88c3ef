import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { findRepoRoot } from "./provider-host";
import { Sample } from "./prometheus-text";

const run = promisify(execFile);
const SCRIPT = path.join(findRepoRoot(__dirname), "test/promtool/promtool.sh");

/** Builds the pinned promtool (first time: minutes, then cached) and returns its path. */
export async function buildPromtool(): Promise<string> {
    const { stdout } = await run("bash", [SCRIPT, "build"], { maxBuffer: 1 << 20 });
    return stdout.trim().split("\n").pop()!;
}

/** What one promtool command said: its exit code and stdout and stderr together. */
export interface PromtoolRun {
    readonly code: number;
    readonly output: string;
}

/** Runs promtool in `cwd`. A non-zero exit is a result, not a throw: the caller decides what it means. */
export async function runPromtool(binary: string, args: readonly string[], cwd: string): Promise<PromtoolRun> {
    try {
        const { stdout, stderr } = await run(binary, [...args], { cwd, maxBuffer: 1 << 24 });
        return { code: 0, output: stdout + stderr };
    } catch (error) {
        const failed = error as { code?: number | string; stdout?: string; stderr?: string };
        if (typeof failed.code !== "number") throw error;
        return { code: failed.code, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
    }
}

/** One entry of a rule test's `input_series`: a series and its values in promtool's expanding notation. */
export interface InputSeries {
    readonly series: string;
    readonly values: string;
}

/** A series selector for a sample: `name{label="value",...}`. */
export function seriesSelector(name: string, labels: Readonly<Record<string, string>>): string {
    const pairs = Object.entries(labels).map(([label, value]) => `${label}=${JSON.stringify(value)}`);
    return `${name}{${pairs.join(",")}}`;
}

/**
 * Exposition samples as promtool input series that hold each value for
 * `steps` intervals after the first: what Prometheus would have scraped from
 * an exporter serving that page unchanged.
 */
export function constantInputSeries(samples: readonly Sample[], steps: number): InputSeries[] {
    return samples.map((sample) => ({ series: seriesSelector(sample.name, sample.labels), values: `${sample.value}x${steps}` }));
}
