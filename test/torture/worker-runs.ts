/**
 * Running torture workers (./torture-worker.cjs) and reading their journals:
 * shared by both stores' suites.
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { JournalEntry, parseJournal } from "./detectors";

const WORKER = path.join(__dirname, "torture-worker.cjs");

/** The settings every worker takes; each suite adds its store's. */
export interface WorkerSettingsBase {
    readonly slice: string;
    readonly prefix: string;
    readonly journal: string;
    readonly lanes: number;
    readonly opsPerLane: number;
    readonly clustersPerLane: number;
}

export interface RunningWorker {
    readonly child: ChildProcess;
    /** The worker has opened its store and journal. */
    readonly ready: Promise<void>;
    readonly exited: Promise<{ code: number | null; stderr: string }>;
}

export function startWorker(settings: object): RunningWorker {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(settings)], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const ready = new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
    return { child, ready, exited };
}

export function journalsIn(files: readonly string[]): JournalEntry[] {
    return files.flatMap((file) => parseJournal(readFileSync(file, "utf8")));
}

/** Completed operations (acknowledged or failed), not the "started" marks. */
export const completed = (journal: readonly JournalEntry[]) => journal.filter((entry) => entry.started !== true);

/**
 * Rounds of a victim killed (`SIGKILL`) at a random moment in `delayMs`
 * (reproducible: a fixed seed) beside a survivor that must finish cleanly.
 * Returns every round's journals.
 */
export async function killRounds(
    rounds: number,
    delayMs: { min: number; max: number },
    pair: (round: number) => { victim: WorkerSettingsBase; survivor: WorkerSettingsBase },
    onSurvivorExit: (result: { code: number | null; stderr: string }) => void,
): Promise<string[]> {
    const journals: string[] = [];
    const delays = fc.sample(fc.integer(delayMs), { numRuns: rounds, seed: 42 });
    for (let round = 0; round < rounds; round++) {
        const { victim, survivor } = pair(round);
        journals.push(victim.journal, survivor.journal);
        const [v, s] = [startWorker(victim), startWorker(survivor)];
        await Promise.all([v.ready, s.ready]);
        await new Promise((resolve) => setTimeout(resolve, delays[round]));
        v.child.kill("SIGKILL");
        onSurvivorExit(await s.exited);
        await v.exited;
    }
    return journals;
}
