import { promises as fs } from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { SliceLedger } from "../provider/core/ledger";
import { KubesliceIpamError } from "../provider/core/kubeslice-ipam-error";
import { LedgerStore } from "../provider/store/ledger-store";
import { CliError, ExitCode, exitCodeOf } from "./errors";
import { Column, OutputFormat, renderDocument, renderTable } from "./format";
import { sliceMap, TERMINAL_MAX_CELLS } from "./map-layout";
import { CHANGE_LEGEND } from "./map-legend";
import { COLOUR_WHEN, ColourWhen, colourEnabled, renderMapText } from "./map-text";
import { planSlice, PlanRow, PreviewStepChange, readPreview, reclaimedNote } from "./preview-plan";
import { reportHtml } from "./report-html";
import { subnetsText } from "./views";

/**
 * `slice-ipam map` and `slice-ipam report`: the commands' I/O (one store
 * read, the preview file, the HTML file); what they show is computed by
 * map-layout, preview-plan, map-text and report-html.
 */

/** What the commands take from the program: its decoded global options and its slice lookup. */
export interface MapCommandDeps {
    readonly context: (command: Command) => {
        readonly output: OutputFormat;
        readonly now: () => Date;
        readonly openStore: () => Promise<LedgerStore>;
        readonly io: { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void };
    };
    /** The slice's ledger, or the CLI's error for a bad or unknown slice name. */
    readonly loadLedger: (store: LedgerStore, sliceName: string) => Promise<SliceLedger>;
    readonly assertSliceName: (sliceName: string) => void;
    readonly setExitCode: (code: ExitCode) => void;
}

const PLAN_OPTION = "a `pulumi preview --json` document: also draw the slice as the preview would leave it";

export function addMapCommands(program: Command, deps: MapCommandDeps): void {
    program
        .command("map")
        .description("draw a slice's pool: one cell per subnet (or per block), coloured and lettered by state, with the legend and capacity figures")
        .argument("<slice>", "the slice name")
        .option("--plan <file>", PLAN_OPTION)
        .addOption(
            new Option("--color <when>", "colour the cells: auto (a terminal without NO_COLOR, or FORCE_COLOR set)")
                .choices(COLOUR_WHEN)
                .default("auto"),
        )
        .action(async (sliceName: string, options: { plan?: string; color: ColourWhen }, command: Command) => {
            const ctx = deps.context(command);
            const changes = options.plan === undefined ? undefined : await readPreviewFile(options.plan);
            const ledger = await deps.loadLedger(await ctx.openStore(), sliceName);
            const now = ctx.now();
            const colour = colourEnabled(options.color, process.stdout.isTTY === true, process.env);
            const current = sliceMap(ledger, now, { maxCells: TERMINAL_MAX_CELLS });
            if (changes === undefined) {
                ctx.io.stdout(ctx.output === "table" ? renderMapText(current, colour) : renderDocument(ctx.output, current));
                return;
            }
            const plan = planSlice(ledger, changes, now);
            const planned = sliceMap(plan.after, now, { maxCells: TERMINAL_MAX_CELLS, changes: plan.changes });
            if (ctx.output !== "table") {
                ctx.io.stdout(renderDocument(ctx.output, { now: current, withThisChange: planned, changes: plan.rows, kept: plan.kept }));
                return;
            }
            ctx.io.stdout(renderMapText(current, colour, "now"));
            ctx.io.stdout("\n");
            ctx.io.stdout(renderMapText(planned, colour, "with this change"));
            ctx.io.stdout("\n");
            if (plan.rows.length === 0) {
                ctx.io.stdout(`the preview changes no allocation of slice "${sliceName}"\n`);
                return;
            }
            const problems = plan.rows.some((row) => row.problem !== undefined);
            ctx.io.stdout(renderTable(problems ? PLAN_COLUMNS : PLAN_COLUMNS.slice(0, -1), plan.rows));
            if (plan.reclaimed.length > 0) {
                ctx.io.stdout(`${reclaimedNote(plan.reclaimed)}\n`);
            }
        });

    program
        .command("report")
        .description("write one self-contained HTML page with each slice's map, utilization, Released subnets and savings")
        .argument("[slices...]", "only these slices (default: every slice of the store)")
        .requiredOption("--html <file>", "the HTML file to write")
        .option("--plan <file>", `${PLAN_OPTION}, beside the current ledger (for a pull request)`)
        .action(async (slices: string[], options: { html: string; plan?: string }, command: Command) => {
            slices.forEach(deps.assertSliceName);
            const ctx = deps.context(command);
            const changes = options.plan === undefined ? undefined : await readPreviewFile(options.plan);
            const store = await ctx.openStore();
            const ledgers = await reportedLedgers(store, slices, deps, ctx.io.stderr);
            const html = reportHtml({
                ledgers,
                now: ctx.now(),
                source: store.description,
                ...(changes === undefined || options.plan === undefined ? {} : { preview: { name: path.basename(options.plan), changes } }),
            });
            const file = path.resolve(options.html);
            try {
                await fs.writeFile(file, html);
            } catch (error) {
                throw new KubesliceIpamError(
                    "report-write-failed",
                    `cannot write the report to ${file}: ${(error as Error).message}; pass a writable path to --html`,
                    { cause: error },
                );
            }
            ctx.io.stderr(`wrote ${file}: ${ledgers.length} slice(s), ${Math.ceil(Buffer.byteLength(html) / 1024)} KiB\n`);
        });
}

const PLAN_COLUMNS: readonly Column<PlanRow>[] = [
    { header: "CLUSTER", cell: (row) => row.clusterName },
    { header: "CHANGE", cell: (row) => `${CHANGE_LEGEND[row.change].letter} ${CHANGE_LEGEND[row.change].label}` },
    { header: "SUBNET", cell: subnetsText },
    { header: "OUTCOME", cell: (row) => row.outcome },
    { header: "PROBLEM", cell: (row) => row.problem ?? "" },
];

/**
 * The slices to report, from one listing of the store: the named ones (an
 * unknown name is the error `show` gives), else all, where an unreadable one
 * is reported and skipped, as `status` does.
 */
async function reportedLedgers(
    store: LedgerStore,
    names: readonly string[],
    { loadLedger, setExitCode }: MapCommandDeps,
    stderr: (text: string) => void,
): Promise<SliceLedger[]> {
    const listed = await store.listEach();
    if (names.length === 0) {
        return listed.flatMap((slice) => {
            if (slice.ok) {
                return [slice.entry.ledger];
            }
            stderr(`error: ${slice.error.message}\n`);
            setExitCode(exitCodeOf(slice.error));
            return [];
        });
    }
    const ledgers: SliceLedger[] = [];
    for (const name of names) {
        const slice = listed.find((entry) => entry.sliceName === name);
        if (slice === undefined) {
            // Says which slices the store holds; a slice registered since the listing is simply read.
            ledgers.push(await loadLedger(store, name));
        } else if (slice.ok) {
            ledgers.push(slice.entry.ledger);
        } else {
            throw slice.error;
        }
    }
    return ledgers;
}

async function readPreviewFile(file: string): Promise<readonly PreviewStepChange[]> {
    const resolved = path.resolve(file);
    let document: unknown;
    try {
        document = JSON.parse(await fs.readFile(resolved, "utf8"));
    } catch (error) {
        throw new CliError(
            "usage",
            `cannot read the preview ${resolved}: ${(error as Error).message}; pass the output of \`pulumi preview --json\` to --plan`,
        );
    }
    const read = readPreview(document);
    if (!read.ok) {
        throw new CliError("usage", `cannot take a plan from ${resolved}: ${read.reason}; pass the output of \`pulumi preview --json\` to --plan`);
    }
    return read.changes;
}
