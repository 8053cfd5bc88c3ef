import { ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { delayUnlessHurried, holdExitUntil, settledStoreWork } from "../../provider/store/exit-hold";
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

    it("does at once work that was waiting only to share a write, instead of past the hold's limit", async () => {
        const marker = path.join(temp.dir, "marker");
        // The work waits 10 minutes unless hurried; the hold lasts at most HOLD_LIMIT_MS (4 s), then the signal ends the process.
        const worker = runWorker(marker, ["--signal-during-burst", "--long-delay"]);
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

describe("settledStoreWork", () => {
    it("starts delayed work now instead of waiting out its delay", async () => {
        let done = false;
        holdExitUntil(delayUnlessHurried(600_000).then(() => (done = true)));
        await settledStoreWork(); // would wait 10 minutes, past the test's timeout
        expect(done).toBe(true);
    });
});
