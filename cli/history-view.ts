import { actorText, HistoryEvent } from "../provider/core/history";
import { Allocation, SliceLedger } from "../provider/core/ledger";
import { Column, shortTimestamp } from "./format";
import { subnetsText } from "./views";

/**
 * What `slice-ipam history` and `slice-ipam reclaim` show. Pure: ledgers and
 * times in, rows out.
 */

export const HISTORY_COLUMNS: readonly Column<HistoryEvent>[] = [
    { header: "TIME", cell: (event) => shortTimestamp(event.at) },
    { header: "ACTION", cell: (event) => event.action },
    { header: "CLUSTER", cell: (event) => event.clusterName ?? "-" },
    { header: "SUBNET", cell: subnetsText },
    { header: "STATUS", cell: (event) => (event.from === undefined && event.to === undefined ? "-" : `${event.from ?? "-"} → ${event.to ?? "-"}`) },
    { header: "BY", cell: (event) => actorText(event.actor) },
    { header: "DETAIL", cell: (event) => event.detail ?? "" },
];

const RELATIVE_SINCE = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** `--since`: an ISO-8601 time, or a duration back from `now` such as `90m`, `24h`, `7d`; undefined when it is neither. */
export function parseSince(text: string, now: Date): Date | undefined {
    const relative = RELATIVE_SINCE.exec(text);
    if (relative !== null) {
        return new Date(now.getTime() - Number(relative[1]) * UNIT_SECONDS[relative[2] as keyof typeof UNIT_SECONDS] * 1000);
    }
    const absolute = Date.parse(text);
    return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(absolute) ? new Date(absolute) : undefined;
}

/** One subnet `reclaim` frees (or would free), with when its grace period ended or would have. */
export interface ReclaimRow {
    readonly slice: string;
    readonly clusterName: string;
    readonly subnet: string;
    readonly releasedAt: string;
    readonly graceEndedAt: string;
}

export function reclaimRows(ledger: SliceLedger, reclaimed: readonly Allocation[]): ReclaimRow[] {
    return reclaimed.map((entry) => ({
        slice: ledger.spec.sliceName,
        clusterName: entry.clusterName,
        subnet: entry.subnet,
        releasedAt: entry.releasedAt ?? "",
        graceEndedAt:
            entry.releasedAt === undefined ? "" : new Date(Date.parse(entry.releasedAt) + ledger.spec.gracePeriodSeconds * 1000).toISOString(),
    }));
}

export const RECLAIM_COLUMNS: readonly Column<ReclaimRow>[] = [
    { header: "SLICE", cell: (row) => row.slice },
    { header: "CLUSTER", cell: (row) => row.clusterName },
    { header: "SUBNET", cell: (row) => row.subnet },
    { header: "RELEASED", cell: (row) => shortTimestamp(row.releasedAt) },
    { header: "GRACE ENDS", cell: (row) => shortTimestamp(row.graceEndedAt) },
];
