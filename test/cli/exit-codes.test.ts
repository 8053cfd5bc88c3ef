/**
 * Every documented exit code, from the built command run as a process, and
 * the documented table (docs/operations.md) against the code's (`EXIT_MEANINGS`).
 */
import { RETRY_SECONDS_VARIABLE } from "../../provider/store/kubernetes-requests";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, EXIT_MEANINGS } from "../../cli/errors";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { runCli } from "../support/cli-process";
import { findRepoRoot } from "../support/provider-host";
import { makeTempDir } from "../support/temp-dir";

let temp: ReturnType<typeof makeTempDir>;
let blocker: Server;
let takenPort: number;
const file = (name: string) => path.join(temp.dir, name);

/** A syntactically valid kubeconfig whose server refuses connections. */
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:1
users:
- name: u
  user:
    token: not-a-real-token
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`;

beforeAll(async () => {
    temp = makeTempDir("slice-ipam-exit-");
    const store = new FileLedgerStore(file("store"));
    await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
    await allocateSubnet(store, "blue", "worker-1");
    await registerSlice(new FileLedgerStore(file("corrupt")), sliceSpecSchema.parse({ sliceName: "red", sliceSubnet: "10.3.0.0/16" }));
    writeFileSync(path.join(file("corrupt"), "red", "000000000002.json"), "{ not json");
    writeFileSync(file("kubeconfig.yaml"), KUBECONFIG);
    writeFileSync(file("malformed.yaml"), KUBECONFIG.replace("    token: not-a-real-token", "    token: not-a-real-token\n   bad: indent"));
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    takenPort = (blocker.address() as { port: number }).port;
});
afterAll(async () => {
    await new Promise((resolve) => blocker?.close(resolve));
    temp?.remove();
});

const kubernetes = (kubeconfig: string) => ["--store", "kubernetes", "--namespace", "ns", "--kubeconfig", file(kubeconfig)];

describe("exit codes, end to end", () => {
    it.each<[string, number, () => string[], string]>([
        ["done", EXIT.ok, () => ["--store-dir", file("store"), "status"], ""],
        ["check: ledger as expected", EXIT.ok, () => ["--store-dir", file("store"), "check", "blue", "--clusters", "worker-1"], ""],
        ["check: a mismatch", EXIT.mismatch, () => ["--store-dir", file("store"), "check", "blue", "--clusters", "worker-2"], ""],
        ["an unknown option", EXIT.usage, () => ["status", "--nope"], "unknown option"],
        ["an invalid slice name to show", EXIT.usage, () => ["--store-dir", file("store"), "show", "../x"], 'slice name "../x" is not a valid'],
        [
            "an invalid slice name to copy",
            EXIT.usage,
            () => ["--store-dir", file("store"), "copy", "../x", "--to-namespace", "ns"],
            'slice name "../x" is not a valid',
        ],
        ["a bad --cache-seconds", EXIT.usage, () => ["metrics", "--listen", ":0", "--cache-seconds", "-1"], "--cache-seconds"],
        ["no such file store", EXIT.storeNotFound, () => ["--store-dir", file("missing"), "status"], "does not exist"],
        ["an unreadable kubeconfig", EXIT.storeNotFound, () => kubernetes("missing.yaml").concat("status"), "cannot read kubeconfig"],
        [
            "a malformed kubeconfig",
            EXIT.storeNotFound,
            () => kubernetes("malformed.yaml").concat("status"),
            "is not valid YAML: syntax error at line 11",
        ],
        [
            "a --context the kubeconfig does not define",
            EXIT.storeNotFound,
            () => kubernetes("kubeconfig.yaml").concat("--context", "nope", "status"),
            'has no context named "nope"',
        ],
        ["a slice not registered", EXIT.sliceNotFound, () => ["--store-dir", file("store"), "show", "green"], 'slice "green" is not registered'],
        ["a corrupt ledger", EXIT.corruptLedger, () => ["--store-dir", file("corrupt"), "status"], "is not a valid slice ledger"],
        ["an unreachable API server", EXIT.failure, () => kubernetes("kubeconfig.yaml").concat("status"), "Kubernetes store https://127.0.0.1:1"],
        ["a port in use", EXIT.failure, () => ["--store-dir", file("store"), "metrics", "--listen", `127.0.0.1:${takenPort}`], "cannot listen on"],
    ])("%s: exit %i", async (_what, code, args, message) => {
        // The unreachable server (port 1) is given up on after a second, not the default 30 (docs/stores.md).
        const run = await runCli(args(), temp.dir, { ...process.env, [RETRY_SECONDS_VARIABLE]: "1" });
        expect(run.stderr).toContain(message);
        expect(run.code).toBe(code);
    });
});

describe("the exit-code table of docs/operations.md", () => {
    it("is the code's table, row for row", () => {
        const operations = readFileSync(path.join(findRepoRoot(__dirname), "docs", "operations.md"), "utf8");
        expect(operations).toContain("| exit code | meaning |");
        const table = operations.slice(operations.indexOf("| exit code | meaning |"));
        const rows = table
            .split("\n")
            .slice(2)
            .filter((line, index, lines) => line.startsWith("|") && lines.slice(0, index).every((before) => before.startsWith("|")));
        const documented = Object.fromEntries(rows.map((row) => row.split(" | ").map((cell) => cell.replace(/^\| | \|$/g, ""))));
        expect(documented).toEqual(Object.fromEntries(Object.entries(EXIT_MEANINGS)));
    });
});
