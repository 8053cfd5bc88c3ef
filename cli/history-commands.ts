import { Command } from "commander";
import { selectHistory } from "../provider/core/history";
import { reclaimEarly, SliceLedger } from "../provider/core/ledger";
import { IpamError } from "../provider/service/errors";
import { expiredReleases, reclaimCluster, reclaimExpired } from "../provider/service/reclaim";
import { LedgerStore } from "../provider/store/ledger-store";
import { CliError, EXIT, ExitCode } from "./errors";
import { Column, OutputFormat } from "./format";
import { HISTORY_COLUMNS, parseSince, RECLAIM_COLUMNS, ReclaimRow, reclaimRows } from "./history-view";

/**
 * `slice-ipam history` and `slice-ipam reclaim`: the commands' I/O (one
 * store read; reclaim's writes through the services); what they show is
 * computed by history-view.
 */

/** The decoded global options a command runs with. */
export interface CommandContext {
    readonly output: OutputFormat;
    readonly now: () => Date;
    readonly openStore: () => Promise<LedgerStore>;
    readonly io: { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void };
}

/** What the commands take from the program. */
export interface HistoryCommandDeps {
    readonly context: (command: Command) => CommandContext;
    /** The context with the real clock whatever `--now` says: reclaim decides at the real time. */
    readonly contextAtRealTime: (command: Command) => CommandContext;
    /** The slice's ledger, or the CLI's error for a bad or unknown slice name. */
    readonly loadLedger: (store: LedgerStore, sliceName: string) => Promise<SliceLedger>;
    readonly listLedgers: (store: LedgerStore) => Promise<SliceLedger[]>;
    /** Rows as a table (a note on stderr when there are none), or `data` as JSON/YAML. */
    readonly print: <Row>(
        ctx: CommandContext,
        columns: readonly Column<Row>[],
        rows: readonly Row[],
        data: unknown,
        emptyNote: string | undefined,
    ) => void;
    readonly setExitCode: (code: ExitCode) => void;
}

export function addHistoryCommands(program: Command, deps: HistoryCommandDeps): void {
    program
        .command("history")
        .description("a slice's changes, oldest first: TIME, ACTION, CLUSTER, SUBNET, STATUS, BY, DETAIL")
        .argument("<slice>", "the slice name")
        .option("--cluster <name>", "only this cluster's events")
        .option("--since <time>", "only events at or after an ISO-8601 time, or within a duration back from now: 90m, 24h, 7d")
        .action(async (sliceName: string, options: { cluster?: string; since?: string }, command: Command) => {
            const ctx = deps.context(command);
            let since: Date | undefined;
            if (options.since !== undefined) {
                since = parseSince(options.since, ctx.now());
                if (since === undefined) {
                    throw new CliError(
                        "usage",
                        `--since ${JSON.stringify(options.since)} is not an ISO-8601 time or a duration such as 90m, 24h, 7d`,
                    );
                }
            }
            const ledger = await deps.loadLedger(await ctx.openStore(), sliceName);
            const events = selectHistory(ledger.history ?? [], { clusterName: options.cluster, since });
            const filtered = options.cluster !== undefined || since !== undefined ? " matching the filter" : "";
            deps.print(ctx, HISTORY_COLUMNS, events, { slice: sliceName, events }, `slice "${sliceName}" has no history events${filtered}`);
        });

    program
        .command("reclaim")
        .description(
            "return Released subnets to the pool now: every one past its grace period (run it from a CronJob), or, " +
                "with --cluster c --now --yes, one cluster's before its grace period ends (it gives up getting it back)",
        )
        .argument("[slice]", "only this slice (default: every slice of the store); required with --cluster")
        .option("--cluster <name>", "with --now: reclaim this Released cluster's subnet before its grace period ends")
        .option("--dry-run", "show what would be reclaimed; write nothing")
        .option("--yes", "with --cluster and --now: do it (without, only shows what it would do)")
        .action(async (sliceName: string | undefined, options: { cluster?: string; dryRun?: boolean; yes?: boolean }, command: Command) => {
            const { now } = command.optsWithGlobals<{ now?: string | true }>();
            if (typeof now === "string") {
                throw new CliError(
                    "usage",
                    "reclaim frees subnets as of the real time, so --now takes no time here; with --cluster <name>, a bare --now " +
                        "reclaims that cluster's subnet before its grace period ends",
                );
            }
            const ctx = deps.contextAtRealTime(command);
            if (options.cluster !== undefined) {
                await reclaimOneCluster(ctx, sliceName, options.cluster, { immediately: now === true, ...options }, deps);
                return;
            }
            if (now === true) {
                throw new CliError(
                    "usage",
                    "--now reclaims one cluster's subnet before its grace period ends and needs --cluster <name>; " +
                        "without --now, reclaim frees every Released subnet past its grace period",
                );
            }
            const store = await ctx.openStore();
            const ledgers = sliceName === undefined ? await deps.listLedgers(store) : [await deps.loadLedger(store, sliceName)];
            const rows: ReclaimRow[] = [];
            for (const ledger of ledgers) {
                const reclaimed = options.dryRun
                    ? expiredReleases(ledger, ctx.now())
                    : (await reclaimExpired(store, ledger.spec.sliceName, ctx.now)).reclaimed;
                rows.push(...reclaimRows(ledger, reclaimed));
            }
            deps.print(
                ctx,
                RECLAIM_COLUMNS,
                rows,
                { dryRun: options.dryRun === true, reclaimed: rows },
                "nothing to reclaim: no Released subnet is past its grace period",
            );
        });
}

/** `reclaim <slice> --cluster c --now`: refused unless the cluster's subnet is Released; with --yes it is freed, else shown. */
async function reclaimOneCluster(
    ctx: CommandContext,
    sliceName: string | undefined,
    clusterName: string,
    options: { immediately: boolean; dryRun?: boolean; yes?: boolean },
    deps: HistoryCommandDeps,
): Promise<void> {
    if (sliceName === undefined) {
        throw new CliError("usage", `--cluster needs the slice it is in: slice-ipam reclaim <slice> --cluster ${clusterName} --now --yes`);
    }
    if (!options.immediately) {
        throw new CliError(
            "usage",
            `reclaiming cluster "${clusterName}"'s subnet before its grace period ends gives up its return on rejoin: add --now ` +
                `(and --yes) to do it; without --cluster, reclaim frees only subnets past their grace period`,
        );
    }
    const store = await ctx.openStore();
    const ledger = await deps.loadLedger(store, sliceName);
    // Checked on the ledger read for the preview too: a cluster that is not Released is refused before any --yes.
    const planned = reclaimEarly(ledger, clusterName);
    if (!planned.ok) {
        throw IpamError.fromIssue(planned.issue);
    }
    if (options.dryRun === true || options.yes !== true) {
        const rows = reclaimRows(ledger, [planned.value.reclaimed]);
        deps.print(ctx, RECLAIM_COLUMNS, rows, { dryRun: true, reclaimed: rows }, undefined);
        if (options.dryRun !== true) {
            ctx.io.stderr(
                `nothing reclaimed: cluster "${clusterName}" would no longer get ${planned.value.reclaimed.subnet} back on rejoin; add --yes to reclaim it\n`,
            );
            deps.setExitCode(EXIT.usage);
        }
        return;
    }
    const rows = reclaimRows(ledger, (await reclaimCluster(store, sliceName, clusterName)).reclaimed);
    deps.print(ctx, RECLAIM_COLUMNS, rows, { dryRun: false, reclaimed: rows }, undefined);
}
