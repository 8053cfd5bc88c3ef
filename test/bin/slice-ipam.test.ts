/**
 * The built `slice-ipam` command as a shell runs it, for what only the
 * process shows: here, a reader that stops early.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { findRepoRoot } from "../support/provider-host";
import { makeTempDir } from "../support/temp-dir";

const CLI = path.join(findRepoRoot(__dirname), "dist", "bin", "slice-ipam.js");

let project: ReturnType<typeof makeTempDir>;
beforeAll(async () => {
    project = makeTempDir("slice-ipam-bin-");
    const store = new FileLedgerStore(path.join(project.dir, ".slice-ipam"));
    await registerSlice(store, sliceSpecSchema.parse({ sliceName: "big", sliceSubnet: "10.0.0.0/12" }));
    // About 200 KB of table: far more than a pipe holds, so the writer is still writing when the reader leaves.
    await Promise.all(Array.from({ length: 2_500 }, (_, i) => allocateSubnet(store, "big", `c-${i}`)));
});
afterAll(() => project?.remove());

describe("slice-ipam in a pipeline", () => {
    it("stops quietly with exit code 0 when the reader closes early (`show … | head`)", async () => {
        // A real pipe to a reader that exits after one line; pipefail reports the writer's exit code.
        const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} show big | head -n 1`;
        const child = spawn("bash", ["-o", "pipefail", "-c", command], { cwd: project.dir, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
        expect(stdout).toMatch(/^CLUSTER +SUBNET +STATUS.*\n$/);
        expect(stderr).toBe("");
        expect(code).toBe(0);
    });
});
