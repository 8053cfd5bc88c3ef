import { ClusterUsage, UsageOutcome } from "../provider/core/usage";
import { UsageSync } from "../provider/service/usage";
import { Column } from "./format";

/** `sync-usage` rows: one per cluster of each slice synced. */
export interface UsageRow extends ClusterUsage {
    readonly slice: string;
    readonly dryRun: boolean;
}

export function usageRows(syncs: readonly UsageSync[]): UsageRow[] {
    return syncs.flatMap((sync) => sync.clusters.map((cluster) => ({ ...cluster, slice: sync.slice, dryRun: sync.dryRun })));
}

const RESULTS: Record<UsageOutcome, (row: UsageRow) => string> = {
    "marked-in-use": (row) => (row.dryRun ? "would mark InUse" : "marked InUse"),
    "in-use": () => "InUse (stays InUse)",
    "no-connected-pods": () => "no connected pods",
    "no-worker-slice-config": (row) => `no WorkerSliceConfig ${row.workerSliceConfig}`,
    released: () => "Released: not synced",
    "no-allocation": () => "no allocation",
};

export const USAGE_COLUMNS: readonly Column<UsageRow>[] = [
    { header: "SLICE", cell: (row) => row.slice },
    { header: "CLUSTER", cell: (row) => row.clusterName },
    { header: "SUBNET", cell: (row) => row.subnet ?? "-" },
    { header: "STATUS", cell: (row) => row.status ?? "-" },
    { header: "PODS", cell: (row) => (row.connectedPods === undefined ? "-" : String(row.connectedPods)) },
    { header: "RESULT", cell: (row) => RESULTS[row.outcome](row) },
];

/** One stderr line per WorkerSliceConfig with entries that were not counted. */
export function ignoredNotes(rows: readonly UsageRow[]): string[] {
    return rows
        .filter((row) => row.ignored.length > 0)
        .map(
            (row) =>
                `slice "${row.slice}", cluster "${row.clusterName}": WorkerSliceConfig ${row.workerSliceConfig} lists entries ` +
                `that name no pod; not counted: ${row.ignored.join("; ")}`,
        );
}
