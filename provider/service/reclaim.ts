import { countIn } from "../core/counters";
import { Allocation, isReclaimable, reclaim, reclaimEarly, SliceLedger } from "../core/ledger";
import { LedgerStore } from "../store/ledger-store";
import { updateLedger } from "../store/update-ledger";
import { IpamError } from "./errors";
import { Clock, notRegistered, systemClock } from "./slices";

/**
 * Returning Released subnets to the pool outside an allocation: on a
 * schedule (those past their grace period), or for one cluster at an
 * operator's word. Both go through the compare-and-swap, so each reclaimed
 * subnet is in the slice's history exactly when it was freed.
 */
export interface ReclaimReport {
    readonly sliceName: string;
    readonly reclaimed: readonly Allocation[];
}

/** The Released entries past their grace period at `now`: what {@link reclaimExpired} would free. */
export function expiredReleases(ledger: SliceLedger, now: Date): Allocation[] {
    return ledger.allocations.filter((entry) => isReclaimable(ledger, entry, now));
}

/** Frees every Released subnet of a slice past its grace period. Nothing to free writes nothing. */
export async function reclaimExpired(store: LedgerStore, sliceName: string, clock: Clock = systemClock): Promise<ReclaimReport> {
    return updateLedger(store, sliceName, (current) => {
        if (current === undefined) {
            throw notRegistered(store, sliceName, "run slice-ipam status to list the slices");
        }
        const now = clock();
        const freed = reclaim(current, now);
        const ledger = freed.reclaimed.length === 0 ? current : countIn(freed.ledger, { reclaimed: freed.reclaimed.length });
        return { ledger, result: { sliceName, reclaimed: freed.reclaimed }, at: now };
    });
}

/** Frees one Released cluster's subnet now, whatever its grace period says. */
export async function reclaimCluster(store: LedgerStore, sliceName: string, clusterName: string, clock: Clock = systemClock): Promise<ReclaimReport> {
    return updateLedger(store, sliceName, (current) => {
        if (current === undefined) {
            throw notRegistered(store, sliceName, "run slice-ipam status to list the slices");
        }
        const freed = reclaimEarly(current, clusterName);
        if (!freed.ok) {
            throw IpamError.fromIssue(freed.issue);
        }
        return {
            ledger: countIn(freed.ledger, { reclaimed: 1 }),
            result: { sliceName, reclaimed: [freed.value.reclaimed] },
            at: clock(),
        };
    });
}
