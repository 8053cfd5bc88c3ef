import { ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeTempDir } from "../support/temp-dir";

const WORKER = path.resolve(__dirname, "../support/exit-hold-worker.cjs");

function runWorker(
    marker: string,
    args: string[] = [],
): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
    const child = spawn(process.execPath, [WORKER, marker, ...args], { stdio: ["pipe", "pipe", "inherit"] });
    return { child, exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))) };
}

describe("a provider process stopped as the engine stops it (SIGINT, later SIGKILL)", () => {
    let temp: ReturnType<typeof makeTempDir>;
    beforeEach(() => {
        temp = makeTempDir();
    });
    afterEach(() => temp.remove());

    it("finishes what its store does after the callers have their results, then ends by the signal", async () => {
        const marker = path.join(temp.dir, "marker");
        const worker = runWorker(marker, ["--signal-during-burst"]);
        // Without the hold, SIGINT ends the process at once and the work is lost.
        expect(await worker.exited).toEqual({ code: null, signal: "SIGINT" });
        expect(existsSync(marker)).toBe(true);
    });

    it("lets SIGINT end the process at once when nothing runs any more", async () => {
        const marker = path.join(temp.dir, "marker");
        const worker = runWorker(marker);
        await vi.waitFor(() => expect(existsSync(marker)).toBe(true), { timeout: 10_000 });
        worker.child.kill("SIGINT");
        expect(await worker.exited).toEqual({ code: null, signal: "SIGINT" });
    });
});
