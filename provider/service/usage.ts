import { isActive } from "../core/ledger";
import { applyUsage, ClusterUsage, UsageObservation } from "../core/usage";
import { LedgerStore } from "../store/ledger-store";
import { updateLedger } from "../store/update-ledger";
import { UsageSource } from "../store/worker-slice-usage";
import { notRegistered } from "./slices";

/** What a usage sync found, cluster by cluster. */
export interface UsageSync {
    readonly slice: string;
    /** True when nothing was written (`--dry-run`): `clusters` says what a sync would do. */
    readonly dryRun: boolean;
    readonly clusters: readonly ClusterUsage[];
}

/**
 * Records observations in the slice's ledger through the same
 * compare-and-swap as allocations: each retry applies them to the ledger as
 * it is then, so a cluster released or re-allocated meanwhile is never
 * overwritten with InUse from a stale read. Nothing is written when nothing
 * changes.
 */
export async function recordUsage(
    store: LedgerStore,
    sliceName: string,
    observations: readonly UsageObservation[],
): Promise<readonly ClusterUsage[]> {
    return updateLedger(store, sliceName, (current) => {
        if (current === undefined) {
            throw notRegistered(store, sliceName, "register it (declare its SliceIpam and run pulumi up) before syncing its usage");
        }
        const applied = applyUsage(current, observations);
        return { ledger: applied.ledger, result: applied.clusters };
    });
}

/**
 * Reads what the WorkerSliceConfigs of the slice's active clusters (or of
 * `clusters`) report and records it: Allocated → InUse where pods are
 * connected. With `dryRun`, reports what it would do and writes nothing.
 */
export async function syncUsage(
    store: LedgerStore,
    source: UsageSource,
    sliceName: string,
    options: { readonly dryRun?: boolean; readonly clusters?: readonly string[] } = {},
): Promise<UsageSync> {
    const loaded = await store.load(sliceName);
    if (loaded === undefined) {
        throw notRegistered(store, sliceName, "check the slice name, or register it before syncing its usage");
    }
    const clusters = options.clusters ?? loaded.ledger.allocations.filter(isActive).map((entry) => entry.clusterName);
    const observations = await source.observe(sliceName, clusters);
    const dryRun = options.dryRun === true;
    const result = dryRun ? applyUsage(loaded.ledger, observations).clusters : await recordUsage(store, sliceName, observations);
    return { slice: sliceName, dryRun, clusters: result };
}
