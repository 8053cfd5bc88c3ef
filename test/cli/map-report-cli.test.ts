/**
 * `slice-ipam map` and `slice-ipam report` as operators and pipelines run
 * them: the built command as a child process on a file store in a temporary
 * directory, checked by exit code, output and the file written.
 */
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allocate, SliceLedger } from "../../provider/core/ledger";
import { FileLedgerStore } from "../../provider/store/file-store";
import { sliceMap, TERMINAL_MAX_CELLS } from "../../cli/map-layout";
import { renderMapText } from "../../cli/map-text";
import { runCli } from "../support/cli-process";
import { emptyLedger, exampleLedger, knownLedger, MAP_NOW } from "../support/map-ledgers";
import { makeTempDir } from "../support/temp-dir";

const PREVIEW = path.join(__dirname, "../fixtures/preview/quickstart-worker-2-out-3-and-4-in.json");
const NOW = ["--now", MAP_NOW.toISOString()];
/** The environment of a pipeline: no terminal, and no colour variables of the machine's own. */
const PLAIN_ENV = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined };

let temp: ReturnType<typeof makeTempDir>;

async function storeWith(dir: string, ledgers: readonly SliceLedger[]): Promise<void> {
    const store = new FileLedgerStore(dir);
    for (const ledger of ledgers) {
        const swapped = await store.compareAndSwap(ledger.spec.sliceName, undefined, ledger);
        expect(swapped.ok).toBe(true);
    }
}

function quickstartLedger(): SliceLedger {
    let ledger = emptyLedger({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", subnetSize: 24 });
    for (const cluster of ["worker-1", "worker-2"]) {
        const result = allocate(ledger, cluster, new Date("2026-03-01T10:00:00Z"));
        ledger = result.ok ? result.ledger : expect.fail(result.issue.message);
    }
    return ledger;
}

const cli = (args: readonly string[], env: NodeJS.ProcessEnv = PLAIN_ENV) => runCli([...NOW, ...args], temp.dir, env);

beforeAll(async () => {
    temp = makeTempDir("slice-ipam-map-");
    await storeWith(path.join(temp.dir, ".slice-ipam"), [knownLedger(), exampleLedger()]);
    await storeWith(path.join(temp.dir, "pr-store"), [quickstartLedger()]);
});

afterAll(() => temp?.remove());

describe("slice-ipam map", () => {
    it("draws the slice in plain characters when the output is not a terminal", async () => {
        const run = await cli(["map", "known"]);
        expect(run).toMatchObject({ code: 0, stderr: "" });
        expect(run.stdout).toBe(renderMapText(sliceMap(knownLedger(), MAP_NOW, { maxCells: TERMINAL_MAX_CELLS }), false));
        expect(run.stdout).toContain("10.9.0.0/24   UARE");
    });

    it("colours with FORCE_COLOR or --color always; NO_COLOR wins", async () => {
        const esc = "\u001b[";
        expect((await cli(["map", "known"], { ...PLAIN_ENV, FORCE_COLOR: "1" })).stdout).toContain(`${esc}32mU`);
        expect((await cli(["map", "known", "--color", "always"])).stdout).toContain(`${esc}32mU`);
        expect((await cli(["map", "known"], { ...PLAIN_ENV, FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).not.toContain(esc);
    });

    it("prints the layout as JSON with -o json", async () => {
        const run = await cli(["-o", "json", "map", "known"]);
        expect(run.code).toBe(0);
        const map = JSON.parse(run.stdout);
        expect(map.cells).toHaveLength(16);
        expect(map.cells.map((cell: { state: string }) => cell.state)[3]).toBe("expired");
        expect(map.largestFreeRun).toMatchObject({ firstSubnet: "10.9.7.0/24", length: 5 });
    });

    it("draws a preview's changes beside the ledger with --plan", async () => {
        const run = await cli(["--store-dir", "pr-store", "map", "blue", "--plan", PREVIEW]);
        expect(run).toMatchObject({ code: 0, stderr: "" });
        expect(run.stdout).toContain("slice blue (now): 10.2.0.0/16");
        expect(run.stdout).toMatch(/^10\.2\.0\.0\/24 +AA\.\.\.\.\.\. /m);
        expect(run.stdout).toContain("slice blue (with this change): 10.2.0.0/16");
        expect(run.stdout).toMatch(/^10\.2\.0\.0\/24 +A-\+\+\.\.\.\. /m);
        expect(run.stdout).toMatch(/^worker-3 +\+ joins +10\.2\.2\.0\/24 +joins$/m);
        expect(run.stdout).toMatch(/^worker-2 +- released +10\.2\.1\.0\/24 +is released$/m);
    });

    it.each([
        ["an unknown slice: 4, naming the slices the store holds", ["map", "green"], 4, "It holds: blue, known."],
        ["an invalid slice name: 2", ["map", "Blue_1"], 2, "is not a valid DNS-1123 label"],
        ["a bad --color: 2", ["map", "known", "--color", "sometimes"], 2, "argument 'sometimes' is invalid"],
        ["a missing --plan file: 2", ["map", "known", "--plan", "nowhere.json"], 2, "cannot read the preview"],
        ["a --plan file that is not a preview: 2", ["map", "known", "--plan", "package.json"], 2, "cannot take a plan from"],
    ])("exits for %s", async (_what, args, code, message) => {
        if (args.includes("package.json")) {
            await fs.writeFile(path.join(temp.dir, "package.json"), JSON.stringify({ name: "not-a-preview" }));
        }
        const run = await cli(args);
        expect(run.code).toBe(code);
        expect(run.stderr).toContain(message);
        expect(run.stdout).toBe("");
    });
});

describe("slice-ipam report", () => {
    it("writes one HTML file with every slice of the store", async () => {
        const run = await cli(["report", "--html", "all.html"]);
        expect(run.code).toBe(0);
        expect(run.stdout).toBe("");
        expect(run.stderr).toMatch(/^wrote .*all\.html: 2 slice\(s\), \d+ KiB\n$/);
        const html = await fs.readFile(path.join(temp.dir, "all.html"), "utf8");
        expect(html).toMatch(/^<!doctype html>/);
        expect(html).toContain('<h2 id="h-blue">Slice blue</h2>');
        expect(html).toContain('<h2 id="h-known">Slice known</h2>');
    });

    it("writes only the slices named, and the preview's changes with --plan", async () => {
        const run = await cli(["--store-dir", "pr-store", "report", "blue", "--html", "pr.html", "--plan", PREVIEW]);
        expect(run.code).toBe(0);
        const html = await fs.readFile(path.join(temp.dir, "pr.html"), "utf8");
        expect(html).toContain("Slice blue: 2 joining, 1 released, 1 other active cluster(s) kept");
        expect(html).toContain("quickstart-worker-2-out-3-and-4-in.json");
    });

    it.each([
        ["an unknown slice: 4", ["report", "known", "green", "--html", "x.html"], 4, 'slice "green" is not registered'],
        ["an invalid slice name: 2", ["report", "Blue", "--html", "x.html"], 2, "is not a valid DNS-1123 label"],
        ["no --html: 2", ["report", "known"], 2, "required option '--html <file>' not specified"],
        ["a --plan file that is not JSON: 2", ["report", "--html", "x.html", "--plan", __filename], 2, "cannot read the preview"],
        ["an unwritable --html path: 6", ["report", "--html", "no/such/dir/x.html"], 6, "cannot write the report to"],
    ])("exits for %s, writing nothing", async (_what, args, code, message) => {
        const run = await cli(args);
        expect(run.code).toBe(code);
        expect(run.stderr).toContain(message);
        expect(existsSync(path.join(temp.dir, "x.html"))).toBe(false);
    });
});
