/**
 * Every `slice-ipam` command, as a process, given a kubeconfig that cannot
 * be used: its contents (here a marker where the token sits) appear in no
 * output, whichever way the kubeconfig is given, and the exit code is the
 * documented one.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/errors";
import { sliceSpecSchema } from "../../provider/core/validation";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { runCli } from "../support/cli-process";
import { RETRY_SECONDS_VARIABLE } from "../../provider/store/kubernetes-requests";
import { LEAKY_KUBECONFIGS, MARKER } from "../support/leaky-kubeconfigs";
import { makeTempDir } from "../support/temp-dir";

let temp: ReturnType<typeof makeTempDir>;
const fileOf = (what: string) => path.join(temp.dir, `${Object.keys(LEAKY_KUBECONFIGS).indexOf(what)}.yaml`);
const SYNTAX_ERROR = "a YAML syntax error below the token";

// Their servers are unreachable (port 1): what is under test is what the errors say, not how long a
// dead server is retried (30 s by default; docs/stores.md), so each call gives up after a second.
beforeAll(() => {
    process.env[RETRY_SECONDS_VARIABLE] = "1";
});
afterAll(() => {
    delete process.env[RETRY_SECONDS_VARIABLE];
});
beforeAll(async () => {
    temp = makeTempDir("slice-ipam-kubeconfig-");
    for (const [what, contents] of Object.entries(LEAKY_KUBECONFIGS)) {
        writeFileSync(fileOf(what), contents);
    }
    await registerSlice(
        new FileLedgerStore(path.join(temp.dir, ".slice-ipam")),
        sliceSpecSchema.parse({ sliceName: "jade", sliceSubnet: "10.5.0.0/16" }),
    );
});
afterAll(() => temp?.remove());

const kubernetes = (file: string) => ["--store", "kubernetes", "--namespace", "kubeslice-e2e", "--kubeconfig", file];

const COMMANDS: readonly (readonly string[])[] = [
    ["status"],
    ["status", "jade"],
    ["show", "jade"],
    ["check", "jade", "--clusters", "w-1"],
    ["savings"],
    ["metrics"],
    ["metrics", "-o", "json"],
    ["metrics", "--listen", "127.0.0.1:0"],
    ["sync-usage"],
    ["sync-usage", "jade", "--dry-run"],
    ["copy", "--to-namespace", "kubeslice-e2e"],
];

describe("a kubeconfig with a YAML syntax error below its token", () => {
    it.each(COMMANDS)("%s … names the file and the line, exits 3, and prints none of it", async (...command) => {
        const file = fileOf(SYNTAX_ERROR);
        const run = await runCli([...kubernetes(file), ...command], temp.dir);
        expect(run.stdout + run.stderr).not.toContain(MARKER);
        expect(run.stderr).toBe(
            `error: kubeconfig file ${file} is not valid YAML: syntax error at line 11, column 1; correct it, or pass another kubeconfig\n`,
        );
        expect(run.code).toBe(EXIT.storeNotFound);
    });

    it("as copy's target (--to-kubeconfig)", async () => {
        const file = fileOf(SYNTAX_ERROR);
        const run = await runCli(["copy", "--to-namespace", "kubeslice-e2e", "--to-kubeconfig", file], temp.dir);
        expect(run.stdout + run.stderr).not.toContain(MARKER);
        expect(run.stderr).toContain(`kubeconfig file ${file} is not valid YAML`);
        expect(run.code).toBe(EXIT.storeNotFound);
    });

    it("from KUBECONFIG", async () => {
        const file = fileOf(SYNTAX_ERROR);
        const run = await runCli(["--store", "kubernetes", "--namespace", "kubeslice-e2e", "status"], temp.dir, { ...process.env, KUBECONFIG: file });
        expect(run.stdout + run.stderr).not.toContain(MARKER);
        expect(run.stderr).toContain(`the kubeconfig in KUBECONFIG (${file}) is not a valid kubeconfig: YAML syntax error at line 11`);
        expect(run.code).toBe(EXIT.storeNotFound);
    });
});

describe.each(Object.keys(LEAKY_KUBECONFIGS))("a kubeconfig with %s", (what) => {
    it.each([
        ["--kubeconfig", () => ({ args: kubernetes(fileOf(what)), env: process.env })],
        [
            "KUBECONFIG",
            () => ({ args: ["--store", "kubernetes", "--namespace", "kubeslice-e2e"], env: { ...process.env, KUBECONFIG: fileOf(what) } }),
        ],
        ["--context nope", () => ({ args: [...kubernetes(fileOf(what)), "--context", "nope"], env: process.env })],
    ])("given by %s: status prints none of it", async (_how, given) => {
        const { args, env } = given();
        const run = await runCli([...args, "status"], temp.dir, env);
        expect(run.stdout + run.stderr).not.toContain(MARKER);
        expect(run.stderr).toMatch(/^error: /);
        expect(run.code).not.toBe(EXIT.ok);
    });
});
