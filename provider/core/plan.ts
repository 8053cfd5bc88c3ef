import { Capacity, capacityOf, findAllocation, isActive, isReclaimable, SliceLedger } from "./ledger";
import { cidrToString } from "./cidr";
import { Issue, issueOf } from "./issues";
import { Pool, subnetTextAt } from "./pool";
import { claimRequestedIndex, locateRequestedPair } from "./requested-subnet";
import { nextFreeIndex, runContaining, spanCount } from "./reserved";
import { ipv6SubnetAt, pairedIndexable, pairedReservedRuns, pairedReservedSpans, pairedSize, SlicePools } from "./slice-pools";

/** Where a planned subnet comes from. */
export type PlanSource = "existing" | "reused" | "pinned" | "planned";

export interface PlannedSubnet {
    readonly subnet: string;
    readonly index: number;
    /** In a dual-stack slice: the IPv6 subnet at `index`. */
    readonly subnetIpv6?: string;
    readonly source: PlanSource;
}

/** A pin that cannot be honoured, or a cluster that does not fit. */
export type PlanIssue = Issue<
    | "requested-subnet-invalid"
    | "requested-subnet-taken"
    | "requested-subnet-reserved"
    | "requested-subnets-unpaired"
    | "no-available-subnets"
    | "max-clusters-reached"
>;

export interface PlanInput {
    readonly sliceName: string;
    readonly pool: Pool;
    /** A dual-stack slice's IPv6 pool: each cluster's index names a subnet in both pools. */
    readonly ipv6Pool?: Pool;
    /** The slice's ledger as read now; undefined for a slice not registered yet. */
    readonly ledger?: SliceLedger;
    /** The clusters, in the order new ones should be assigned. */
    readonly clusters: readonly string[];
    /** Subnets chosen by the user for clusters that hold none yet (migration from static IPAM). */
    readonly pins?: Readonly<Record<string, string>>;
    /** A dual-stack slice's IPv6 pins; a cluster pinned in both families must name one index. */
    readonly pinsIpv6?: Readonly<Record<string, string>>;
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
    const pinsIpv6 = input.pinsIpv6 ?? {};
    const pools = poolsOf(input);
    const total = pairedIndexable(pools);
    const reservedRanges = input.reservedRanges ?? ledger?.spec.reservedRanges;
    const runs = pairedReservedRuns(pools, reservedRanges);
    const planned = (index: number, source: PlanSource): PlannedSubnet => {
        const subnetIpv6 = ipv6SubnetAt(pools, index);
        return { subnet: subnetTextAt(pool, index), index, ...(subnetIpv6 === undefined ? {} : { subnetIpv6 }), source };
    };
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
            plan[clusterName] = planned(held.index, held.status === "Released" ? "reused" : "existing");
        } else {
            unplaced.push(clusterName);
        }
    }

    const waiting: string[] = [];
    for (const clusterName of unplaced) {
        const slice = { sliceName, pool, ipv6Pool: pools.ipv6, reservedRanges };
        const located = locateRequestedPair(slice, clusterName, pins[clusterName], pinsIpv6[clusterName]);
        if (located.ok && located.index === undefined) {
            waiting.push(clusterName);
            continue;
        }
        const checked = located.ok ? claimRequestedIndex(slice, clusterName, located.index!, (index) => taken.get(index), true) : located;
        if (!checked.ok) {
            issues.push(checked.issue);
            continue;
        }
        taken.set(checked.index, clusterName);
        plan[clusterName] = planned(checked.index, "pinned");
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
                    totalSubnets: Number(pairedSize(pools)),
                    planned: true,
                }),
            );
            continue;
        }
        taken.set(cursor, clusterName);
        plan[clusterName] = planned(cursor, "planned");
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
    const pools = poolsOf(input);
    const spans = pairedReservedSpans(pools, reservedRanges);
    const runs = pairedReservedRuns(pools, reservedRanges);
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
    return capacityOf(pairedSize(pools), active, released, maxClusters, spanCount(spans), reservedHeld);
}

function poolsOf(input: Pick<PlanInput, "pool" | "ipv6Pool">): SlicePools {
    return input.ipv6Pool === undefined ? { primary: input.pool } : { primary: input.pool, ipv6: input.ipv6Pool };
}
