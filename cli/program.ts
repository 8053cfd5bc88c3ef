import { existsSync, promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { SliceLedger } from "../provider/core/ledger";
import { withHistoryActor } from "../provider/store/history-context";
import { dnsLabelMessage, isDnsLabel } from "../provider/core/validation";
import { copyLedgers } from "../provider/service/copy";
import { syncUsage, UsageSync } from "../provider/service/usage";
import { usageSourceOf } from "../provider/store/store-spec";
import { LedgerStore, ListedSlice, VersionedLedger } from "../provider/store/ledger-store";
import { renderExposition } from "../metrics/exposition";
import { ledgerMetricFamilies } from "../metrics/ledger-metrics";
import { coalescedScrape, DEFAULT_SCRAPE_CACHE_SECONDS } from "../metrics/scrape-cache";
import { parseListenAddress, startMetricsServer } from "../metrics/server";
import { CliError, EXIT, ExitCode, exitCodeOf } from "./errors";
import { Column, OUTPUT_FORMATS, OutputFormat, renderDocument, renderTable } from "./format";
import { addMapCommands } from "./map-commands";
import { sliceConfigClusters } from "./slice-config";
import { ignoredNotes, USAGE_COLUMNS, usageRows } from "./usage-view";
import { addHistoryCommands } from "./history-commands";
import { addStoreOptions, openExistingStore, StoreOptions, storeSpecFromOptions } from "./store-options";
import {
    ALLOCATION_COLUMNS,
    allocationViews,
    CHECK_COLUMNS,
    checkClusters,
    checkSummary,
    reservedHoldersSummary,
    SAVINGS_COLUMNS,
    savingsReport,
    savingsRows,
    sliceStatus,
    STATUS_COLUMNS,
    StatusRow,
    STORE_USE_COLUMN,
} from "./views";

/**
 * `slice-ipam`: reads the ledgers the providers write, for operators. A
 * thin shell: commander parses, `views` computes, `format` renders. Only
 * `copy` (to its target store) and `sync-usage` (Allocated → InUse) write.
 */

export interface CliIo {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
}

export interface CliEnvironment {
    readonly io: CliIo;
    /** Resolves when a long-running command (`metrics --listen`) should stop, e.g. on SIGTERM. */
    readonly untilStopped: () => Promise<void>;
}

interface GlobalOptions extends StoreOptions {
    readonly output: OutputFormat;
    /** A time for the read-only commands; bare (true) only for `reclaim --cluster c --now`. */
    readonly now?: string | true;
}

/** What every command needs, decoded from the global options. */
interface Context {
    readonly output: OutputFormat;
    /** The time ages and grace periods are computed at; `--now`, else the clock at each use. */
    readonly now: () => Date;
    readonly openStore: () => Promise<LedgerStore>;
    readonly io: CliIo;
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<ExitCode> {
    const { io } = environment;
    let exitCode: ExitCode = EXIT.ok;
    const setExitCode = (code: ExitCode) => {
        exitCode = code;
    };
    const program = buildProgram(environment, setExitCode);
    try {
        // Whatever this command line writes is recorded in the slices' histories as its doing.
        await withHistoryActor({ via: "cli", command: commandLineText(argv) }, () => program.parseAsync([...argv], { from: "user" }));
        return exitCode;
    } catch (error) {
        if (!(error instanceof CommanderError)) {
            // Commander has already printed its own message (or the help).
            io.stderr(`error: ${(error as Error).message}\n`);
        }
        return exitCodeOf(error);
    }
}

function buildProgram(environment: CliEnvironment, setExitCode: (code: ExitCode) => void): Command {
    const { io } = environment;
    const program = new Command("slice-ipam")
        .description("Inspect kubeslice-ipam slice ledgers: status, allocations, consistency checks, savings, metrics.")
        .version(packageVersion(), "-V, --version")
        .addOption(new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS).default("table"))
        .addOption(
            new Option(
                "--now [time]",
                "compute ages and grace periods as of this ISO-8601 time (default: now); bare, with reclaim --cluster: reclaim before the grace period ends",
            ),
        )
        .exitOverride()
        .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
        .configureHelp({ showGlobalOptions: true })
        .showHelpAfterError("(run slice-ipam --help for usage)");
    addStoreOptions(program);

    const context = (command: Command) => contextOf(command.optsWithGlobals<GlobalOptions>(), io);

    program
        .command("status")
        .description("one row per slice: NAME, SLICE SUBNET, SUBNET SIZE, AVAILABLE, TOTAL, UTILIZATION, AGE")
        .argument("[slice]", "only this slice")
        .action(async (sliceName: string | undefined, _options: unknown, command: Command) => {
            const ctx = context(command);
            const store = await ctx.openStore();
            const listed: ListedSlice[] =
                sliceName === undefined ? await store.listEach() : [{ sliceName, ok: true, entry: await loadVersioned(store, sliceName) }];
            const now = ctx.now();
            const rows = listed.map((slice): StatusRow => {
                if (slice.ok) {
                    return sliceStatus(slice.entry.ledger, now, slice.entry.storage);
                }
                // The others still show; the exit code and stderr name this one.
                ctx.io.stderr(`error: ${slice.error.message}\n`);
                setExitCode(exitCodeOf(slice.error));
                return { name: slice.sliceName, unreadable: slice.error.message };
            });
            // Only stores with a size budget (Kubernetes) report one: the file store's output stays as it was.
            const columns = rows.some((row) => "storeUse" in row && row.storeUse !== undefined)
                ? [...STATUS_COLUMNS, STORE_USE_COLUMN]
                : STATUS_COLUMNS;
            print(ctx, columns, rows, rows, `no slices in ${store.description}`);
        });

    program
        .command("show")
        .description("a slice's allocations: CLUSTER, SUBNET, STATUS, ALLOCATED, RELEASED, GRACE LEFT")
        .argument("<slice>", "the slice name")
        .action(async (sliceName: string, _options: unknown, command: Command) => {
            const ctx = context(command);
            const ledger = await loadLedger(await ctx.openStore(), sliceName);
            const now = ctx.now();
            const rows = allocationViews(ledger, now);
            print(ctx, ALLOCATION_COLUMNS, rows, { slice: sliceStatus(ledger, now), allocations: rows }, `slice "${sliceName}" has no allocations`);
        });

    program
        .command("check")
        .description("compare the clusters a slice should have with the ledger; exit 1 on a mismatch")
        .argument("<slice>", "the slice name")
        .addOption(new Option("--clusters <names>", "expected clusters, comma-separated (empty: none)").conflicts("sliceConfig"))
        .addOption(new Option("--slice-config <file>", "read the expected clusters from a SliceConfig YAML (spec.clusters)"))
        .action(async (sliceName: string, options: { clusters?: string; sliceConfig?: string }, command: Command) => {
            const ctx = context(command);
            const expected = await expectedClusters(sliceName, options);
            const ledger = await loadLedger(await ctx.openStore(), sliceName);
            const report = checkClusters(ledger, expected, ctx.now());
            if (ctx.output === "table") {
                ctx.io.stdout(renderTable(CHECK_COLUMNS, report.clusters));
                ctx.io.stdout(`${checkSummary(report)}\n`);
                const reserved = reservedHoldersSummary(report);
                if (reserved !== undefined) {
                    ctx.io.stdout(`${reserved}\n`);
                }
            } else {
                ctx.io.stdout(renderDocument(ctx.output, report));
            }
            setExitCode(report.consistent ? EXIT.ok : EXIT.mismatch);
        });

    program
        .command("savings")
        .description("addresses static pre-allocation would reserve vs what dynamic IPAM holds, per slice and in total")
        .action(async (_options: unknown, command: Command) => {
            const ctx = context(command);
            const ledgers = await listLedgers(await ctx.openStore());
            const report = savingsReport(ledgers, ctx.now());
            print(ctx, SAVINGS_COLUMNS, savingsRows(report), report, undefined);
        });

    program
        .command("metrics")
        .description("print the Prometheus metrics once, or serve them at /metrics with --listen")
        .option("--listen <address>", "serve /metrics on host:port, or on loopback with :port or port (0.0.0.0:9464 exposes it)")
        .option(
            "--cache-seconds <seconds>",
            "with --listen: scrapes within this many seconds of a store read reuse it (0: read on every scrape)",
            String(DEFAULT_SCRAPE_CACHE_SECONDS),
        )
        .action(async (options: { listen?: string; cacheSeconds: string }, command: Command) => {
            const ctx = context(command);
            const cacheSeconds = Number(options.cacheSeconds);
            if (!(cacheSeconds >= 0 && cacheSeconds <= 3600)) {
                throw new CliError(
                    "usage",
                    `--cache-seconds ${JSON.stringify(options.cacheSeconds)} is not a number of seconds from 0 to 3600, e.g. 5`,
                );
            }
            const store = await ctx.openStore();
            const scrape = async () => {
                const listed = await store.listEach();
                const unreadable = listed.flatMap((slice) => (slice.ok ? [] : [slice]));
                // Exported as ipam_slice_unreadable; the reason is for the operator's log, not for anonymous scrapers.
                unreadable.forEach((slice) => ctx.io.stderr(`error: ${slice.error.message}\n`));
                // Printed once, the exit code says so too, as `status`'s does; a server keeps serving.
                if (options.listen === undefined) {
                    unreadable.forEach((slice) => setExitCode(exitCodeOf(slice.error)));
                }
                const ledgers = listed.flatMap((slice) => (slice.ok ? [slice.entry.ledger] : []));
                return ledgerMetricFamilies(
                    ledgers,
                    ctx.now(),
                    unreadable.map((slice) => slice.sliceName),
                );
            };
            if (options.listen === undefined) {
                const families = await scrape();
                ctx.io.stdout(ctx.output === "table" ? await renderExposition(families) : renderDocument(ctx.output, families));
                return;
            }
            const cached = coalescedScrape(async () => renderExposition(await scrape()), cacheSeconds * 1000);
            await serveMetrics(ctx, store, options.listen, cached, environment.untilStopped);
        });

    addHistoryCommands(program, {
        context,
        contextAtRealTime: (command) => contextOf({ ...command.optsWithGlobals<GlobalOptions>(), now: undefined }, io),
        loadLedger,
        listLedgers,
        print,
        setExitCode,
    });

    program
        .command("sync-usage")
        .description(
            "record which clusters use their subnet: Allocated → InUse where the cluster's WorkerSliceConfig reports " +
                "connected app pods (Kubernetes store only; run it from a CronJob)",
        )
        .argument("[slice]", "only this slice (default: every slice of the store)")
        .option("--dry-run", "show what would change; write nothing")
        .action(async (sliceName: string | undefined, options: { dryRun?: boolean }, command: Command) => {
            const ctx = context(command);
            const store = await ctx.openStore();
            const source = usageSourceOf(store);
            if (source === undefined) {
                throw new CliError(
                    "usage",
                    `sync-usage reads the WorkerSliceConfigs of the KubeSlice controller cluster, and ${store.description} ` +
                        `has none: with rendered manifests only, usage is not observed and allocations stay Allocated. Run it ` +
                        `with --store kubernetes --namespace <project namespace>, or give KubeSliceIpam a kubernetesProvider ` +
                        `and run pulumi up --refresh.`,
                );
            }
            const slices = sliceName === undefined ? await listLedgers(store) : [await loadLedger(store, sliceName)];
            const syncs: UsageSync[] = [];
            for (const ledger of slices) {
                syncs.push(await syncUsage(store, source, ledger.spec.sliceName, { dryRun: options.dryRun }));
            }
            const rows = usageRows(syncs);
            ignoredNotes(rows).forEach((note) => ctx.io.stderr(`warning: ${note}\n`));
            print(ctx, USAGE_COLUMNS, rows, syncs, `no active clusters in ${store.description}`);
        });

    program
        .command("copy")
        .description(
            "copy slice ledgers (allocations and counters) from the store the global options name into a Kubernetes " +
                "store, e.g. to move a file store into the cluster; the source is left as it was",
        )
        .argument("[slices...]", "only these slices (default: every slice of the source store)")
        .requiredOption("--to-namespace <ns>", "target: namespace of the SliceIpam objects, as store.namespace")
        .option("--to-kubeconfig <file>", "target: kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)")
        .option("--to-context <name>", "target: kubeconfig context")
        .action(async (slices: string[], options: { toNamespace: string; toKubeconfig?: string; toContext?: string }, command: Command) => {
            slices.forEach(assertSliceName);
            const ctx = context(command);
            const from = await ctx.openStore();
            const targetSpec = storeSpecFromOptions({
                store: "kubernetes",
                storeDir: "",
                namespace: options.toNamespace,
                kubeconfig: options.toKubeconfig,
                context: options.toContext,
            });
            const to = await openExistingStore(targetSpec);
            const report = await copyLedgers(from, to, slices.length > 0 ? slices : undefined);
            const rows = [
                ...report.copied.map((slice) => ({ slice, result: "copied" })),
                ...report.alreadyPresent.map((slice) => ({ slice, result: "already present, identical" })),
            ];
            print(ctx, COPY_COLUMNS, rows, { from: from.description, to: to.description, ...report }, `no slices in ${from.description}`);
        });

    addMapCommands(program, { context, loadLedger, assertSliceName, setExitCode });

    return program;
}

/** The command line as a history names it: options' values kept, since they say what was done (no option takes a secret). */
function commandLineText(argv: readonly string[]): string {
    const text = argv.join(" ");
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

const COPY_COLUMNS: readonly Column<{ slice: string; result: string }>[] = [
    { header: "SLICE", cell: (row) => row.slice },
    { header: "RESULT", cell: (row) => row.result },
];

function contextOf(options: GlobalOptions, io: CliIo): Context {
    let now: () => Date = () => new Date();
    if (options.now === true) {
        throw new CliError("usage", "--now needs an ISO-8601 time, e.g. --now 2025-11-19T10:00:00Z (bare --now is only for reclaim --cluster)");
    }
    if (options.now !== undefined) {
        const fixed = Date.parse(options.now);
        if (Number.isNaN(fixed)) {
            throw new CliError("usage", `--now ${JSON.stringify(options.now)} is not an ISO-8601 time, e.g. 2025-11-19T10:00:00Z`);
        }
        now = () => new Date(fixed);
    }
    const spec = storeSpecFromOptions(options);
    return { output: options.output, now, openStore: () => openExistingStore(spec), io };
}

/** Rows as a table (a note on stderr when there are none), or `data` as JSON/YAML. */
function print<Row>(ctx: Context, columns: readonly Column<Row>[], rows: readonly Row[], data: unknown, emptyNote: string | undefined): void {
    if (ctx.output !== "table") {
        ctx.io.stdout(renderDocument(ctx.output, data));
    } else if (rows.length === 0 && emptyNote !== undefined) {
        ctx.io.stderr(`${emptyNote}\n`);
    } else {
        ctx.io.stdout(renderTable(columns, rows));
    }
}

async function listLedgers(store: LedgerStore): Promise<SliceLedger[]> {
    return (await store.list()).map((entry) => entry.ledger);
}

async function loadLedger(store: LedgerStore, sliceName: string): Promise<SliceLedger> {
    return (await loadVersioned(store, sliceName)).ledger;
}

async function loadVersioned(store: LedgerStore, sliceName: string): Promise<VersionedLedger> {
    assertSliceName(sliceName);
    const loaded = await store.load(sliceName);
    if (loaded !== undefined) {
        return loaded;
    }
    let known = "";
    try {
        const names = (await store.listEach()).map((slice) => slice.sliceName);
        known = names.length === 0 ? " It holds no slices." : ` It holds: ${names.join(", ")}.`;
    } catch {
        // Another document is unreadable; the missing slice is still the error to report.
    }
    throw new CliError(
        "slice-not-registered",
        `slice "${sliceName}" is not registered in ${store.description}.${known} Check the slice name, or pass ` +
            `--store-dir with the store its SliceIpam uses.`,
    );
}

/** A slice name the stores could hold (a DNS-1123 label); anything else is a bad command line, not a missing slice. */
function assertSliceName(sliceName: string): void {
    if (!isDnsLabel(sliceName)) {
        throw new CliError("usage", `${dnsLabelMessage("slice name", sliceName)}; run slice-ipam status to list the slices`);
    }
}

async function expectedClusters(sliceName: string, options: { clusters?: string; sliceConfig?: string }): Promise<string[]> {
    if (options.clusters !== undefined) {
        return options.clusters
            .split(",")
            .map((name) => name.trim())
            .filter((name) => name !== "");
    }
    if (options.sliceConfig === undefined) {
        throw new CliError(
            "usage",
            `check needs the clusters slice "${sliceName}" should have: pass --clusters a,b,c or --slice-config <file> ` +
                `(e.g. from kubectl get sliceconfig ${sliceName} -n <project-namespace> -o yaml)`,
        );
    }
    const file = path.resolve(options.sliceConfig);
    let text: string;
    try {
        text = await fs.readFile(file, "utf8");
    } catch (error) {
        throw new CliError("usage", `cannot read SliceConfig file ${file}: ${(error as Error).message}; pass an existing file to --slice-config`);
    }
    const found = sliceConfigClusters(text, sliceName);
    if (!found.ok) {
        throw new CliError(
            "usage",
            `cannot take the clusters of slice "${sliceName}" from ${file}: ${found.reason}. Pass the SliceConfig named ` +
                `"${sliceName}", or list the clusters with --clusters.`,
        );
    }
    return found.clusters;
}

async function serveMetrics(
    ctx: Context,
    store: LedgerStore,
    listen: string,
    scrape: () => Promise<string>,
    untilStopped: () => Promise<void>,
): Promise<void> {
    const parsed = parseListenAddress(listen);
    if (!parsed.ok) {
        throw new CliError("usage", parsed.reason);
    }
    let server;
    try {
        // The error (store paths, ledger problems) is for the operator; the anonymous client gets a short 500.
        server = await startMetricsServer(parsed.address, scrape, (error) => ctx.io.stderr(`error: scrape failed: ${(error as Error).message}\n`));
    } catch (error) {
        throw new CliError("listen-failed", `cannot listen on ${listen}: ${(error as Error).message}; choose another --listen address`);
    }
    ctx.io.stderr(`serving metrics of ${store.description} at ${server.url}\n`);
    await untilStopped();
    await server.close();
    ctx.io.stderr("stopped\n");
}

/** The package's version, from the package.json above this file (source or dist/). */
function packageVersion(): string {
    for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (existsSync(file)) {
            const manifest = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
            if (manifest.name === "kubeslice-ipam") {
                return manifest.version ?? "0.0.0";
            }
        }
    }
    return "0.0.0";
}
