import { Capacity, capacityOf, findAllocation, isActive, isReclaimable, SliceLedger } from "./ledger";
import { cidrToString } from "./cidr";
import { Issue, issueOf } from "./issues";
import { indexableSubnets, Pool, poolSize, subnetTextAt, totalSubnets } from "./pool";
import { checkRequestedSubnet } from "./requested-subnet";
import { nextFreeIndex, reservedCount, reservedRuns, runContaining } from "./reserved";

/** Where a planned subnet comes from. */
export type PlanSource = "existing" | "reused" | "pinned" | "planned";

export interface PlannedSubnet {
    readonly subnet: string;
    readonly index: number;
    readonly source: PlanSource;
}

/** A pin that cannot be honoured, or a cluster that does not fit. */
export type PlanIssue = Issue<
    "requested-subnet-invalid" | "requested-subnet-taken" | "requested-subnet-reserved" | "no-available-subnets" | "max-clusters-reached"
>;

export interface PlanInput {
    readonly sliceName: string;
    readonly pool: Pool;
    /** The slice's ledger as read now; undefined for a slice not registered yet. */
    readonly ledger?: SliceLedger;
    /** The clusters, in the order new ones should be assigned. */
    readonly clusters: readonly string[];
    /** Subnets chosen by the user for clusters that hold none yet (migration from static IPAM). */
    readonly pins?: Readonly<Record<string, string>>;
    /**
     * The slice's reserved ranges as the allocations will see them (the
     * SliceIpam is updated before them). Omitted: the ledger's.
     */
    readonly reservedRanges?: readonly string[];
    /**
     * The slice's limit on active clusters as the allocations will see it
     * (the SliceIpam is updated before them). Omitted: no limit is planned.
     */
    readonly maxClusters?: number;
    readonly now: Date;
}

export type PlanResult =
    { readonly ok: true; readonly plan: Readonly<Record<string, PlannedSubnet>> } | { readonly ok: false; readonly issues: readonly PlanIssue[] };

/**
 * The subnet each cluster will get, decided before anything is written, so a
 * preview can show it and creates running in any order produce exactly it.
 * Clusters holding or reserving a subnet keep it; pinned clusters get their
 * pin; the others take the lowest free subnets in list order. Deterministic:
 * the same ledger and list always give the same plan. Costs grow with the
 * number of clusters and allocations, never with the pool.
 */
export function planAllocations(input: PlanInput): PlanResult {
    const { sliceName, pool, ledger, clusters, now } = input;
    const pins = input.pins ?? {};
    const total = indexableSubnets(pool);
    const reservedRanges = input.reservedRanges ?? ledger?.spec.reservedRanges;
    const runs = reservedRuns(pool, reservedRanges);
    const plan: Record<string, PlannedSubnet> = {};
    const issues: PlanIssue[] = [];

    const taken = new Map<number, string>();
    for (const entry of ledger?.allocations ?? []) {
        if (!isReclaimable(ledger!, entry, now)) {
            taken.set(entry.index, entry.clusterName);
        }
    }

    const unplaced: string[] = [];
    for (const clusterName of clusters) {
        const held = ledger === undefined ? undefined : findAllocation(ledger, clusterName);
        if (held !== undefined && !isReclaimable(ledger!, held, now)) {
            const source = held.status === "Released" ? "reused" : "existing";
            plan[clusterName] = { subnet: held.subnet, index: held.index, source };
        } else {
            unplaced.push(clusterName);
        }
    }

    const waiting: string[] = [];
    for (const clusterName of unplaced) {
        const pin = pins[clusterName];
        if (pin === undefined) {
            waiting.push(clusterName);
            continue;
        }
        const checked = checkRequestedSubnet({ sliceName, pool, reservedRanges }, clusterName, pin, (index) => taken.get(index), true);
        if (!checked.ok) {
            issues.push(checked.issue);
            continue;
        }
        taken.set(checked.index, clusterName);
        plan[clusterName] = { subnet: subnetTextAt(pool, checked.index), index: checked.index, source: "pinned" };
    }

    let cursor = 0;
    for (const clusterName of waiting) {
        cursor = nextFreeIndex(runs, cursor, (index) => taken.has(index));
        if (cursor >= total) {
            issues.push(
                issueOf({
                    code: "no-available-subnets",
                    sliceName,
                    clusterName,
                    sliceSubnet: cidrToString(pool.sliceSubnet),
                    subnetSize: pool.subnetSize,
                    totalSubnets: totalSubnets(pool),
                    planned: true,
                }),
            );
            continue;
        }
        taken.set(cursor, clusterName);
        plan[clusterName] = { subnet: subnetTextAt(pool, cursor), index: cursor, source: "planned" };
    }

    issues.push(...overClusterLimit(input, plan));
    return issues.length === 0 ? { ok: true, plan } : { ok: false, issues };
}

/**
 * The joining clusters `create` would refuse because the slice already holds
 * `maxClusters` active ones: every cluster not active now needs a slot, those
 * beyond the limit (in list order) get an issue instead of a subnet, so a
 * preview never shows a subnet that `up` will not hand out.
 */
function overClusterLimit(input: PlanInput, plan: Record<string, PlannedSubnet>): PlanIssue[] {
    const { sliceName, ledger, clusters, maxClusters } = input;
    if (maxClusters === undefined) {
        return [];
    }
    const activeNow = (ledger?.allocations ?? []).filter(isActive).length;
    const issues: PlanIssue[] = [];
    let joining = 0;
    for (const clusterName of clusters) {
        const planned = plan[clusterName];
        if (planned === undefined || planned.source === "existing") {
            continue;
        }
        joining++;
        if (activeNow + joining > maxClusters) {
            delete plan[clusterName];
            issues.push(
                issueOf({ code: "max-clusters-reached", sliceName, clusterName, activeClusters: activeNow, maxClusters, joiningBefore: joining - 1 }),
            );
        }
    }
    return issues;
}

/**
 * Capacity as it will be once a plan is applied: every planned cluster
 * active, other clusters of the ledger as they are now. What a preview shows
 * before anything is allocated.
 */
export function projectedCapacity(input: PlanInput, plan: Readonly<Record<string, PlannedSubnet>>, maxClusters: number): Capacity {
    const reservedRanges = input.reservedRanges ?? input.ledger?.spec.reservedRanges;
    const runs = reservedRuns(input.pool, reservedRanges);
    const inReserved = (index: number) => (runs.length > 0 && runContaining(runs, index) !== undefined ? 1 : 0);
    const planned = new Set(Object.keys(plan));
    let active = planned.size;
    let released = 0;
    let reservedHeld = Object.values(plan).reduce((sum, entry) => sum + inReserved(entry.index), 0);
    for (const entry of input.ledger?.allocations ?? []) {
        if (planned.has(entry.clusterName) || isReclaimable(input.ledger!, entry, input.now)) {
            continue;
        }
        reservedHeld += inReserved(entry.index);
        if (entry.status === "Released") {
            released++;
        } else {
            active++;
        }
    }
    return capacityOf(poolSize(input.pool), active, released, maxClusters, reservedCount(input.pool, reservedRanges), reservedHeld);
}
