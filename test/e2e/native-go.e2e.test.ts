/**
 * 17. The native provider from Go, through the real engine: test/e2e/go-consumer
 * is a Go program on the Go SDK v3.259.0 run with the Automation API's inline
 * programs (no pulumi-language-go, which the Go module proxy here refuses).
 * up, a no-change preview, a cluster added, destroy.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandEnv, readLedger, REPO, sliceIsGone, subnetsIn, Workspace } from "./support/engine";

const run = promisify(execFile);
const SOURCE = path.join(REPO, "test/e2e/go-consumer");

let workspace: Workspace;
let binary: string;
let store: string;
let workDir: string;

beforeAll(async () => {
    workspace = await Workspace.create("native-go");
    store = await workspace.directory("store");
    workDir = await workspace.directory("program");
    binary = path.join(workspace.dir, "go-consumer");
    await run("go", ["build", "-o", binary, "."], {
        cwd: SOURCE,
        env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly -buildvcs=false" },
        timeout: 900_000,
    });
    await workspace.run(workDir, ["login", workspace.backendUrl]);
}, 900_000);

afterAll(async () => {
    await workspace?.remove();
});

async function goConsumer(
    command: string,
    clusters: string[],
): Promise<{ subnets?: Record<string, string>; totalSubnets?: number; changes: Record<string, number> }> {
    const { stdout } = await run(binary, [command, workDir, path.join(REPO, "plugin"), store, ...clusters], {
        env: commandEnv(workspace, {}),
        timeout: 300_000,
        maxBuffer: 64 << 20,
    });
    return JSON.parse(stdout.trim().split("\n").pop()!);
}

describe("the native provider from a Go program", () => {
    it("registers the slice and allocates", async () => {
        const up = await goConsumer("up", ["g-1", "g-2"]);
        expect(up.changes).toEqual({ create: 4 });
        expect(up.totalSubnets).toBe(256);
        expect(Object.values(up.subnets!).sort()).toEqual(["10.60.0.0/24", "10.60.1.0/24"]);
        expect(subnetsIn(await readLedger(store, "olive"), "Allocated")).toEqual(up.subnets);
    });

    it("previews no changes, then adds one cluster with exactly one create", async () => {
        expect((await goConsumer("preview", ["g-1", "g-2"])).changes).toMatchObject({ same: 4 });
        const up = await goConsumer("up", ["g-1", "g-2", "g-3"]);
        expect(up.changes).toEqual({ create: 1, same: 4 });
        expect(up.subnets!["g-3"]).toBe("10.60.2.0/24");
    });

    it("destroys: the slice is unregistered", async () => {
        expect((await goConsumer("destroy", [])).changes).toEqual({ delete: 5 });
        expect(await sliceIsGone(store, "olive")).toBe(true);
    });
});
