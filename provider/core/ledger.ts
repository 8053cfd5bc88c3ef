import { cidrFromString, cidrToString, overlaps, parseCidr } from "./cidr";
import { emptyCounters, LedgerCounters } from "./counters";
import type { HistoryEvent } from "./history-event";
import { Issue, issueOf } from "./issues";
import { exactCount, Pool, subnetTextAt } from "./pool";
import { claimRequestedIndex, HolderOf } from "./requested-subnet";
import { IndexRun, runContaining, spanCount } from "./reserved";
import {
    eachPool,
    ipv6SubnetAt,
    pairedIndexable,
    pairedIndexRuns,
    pairedReservedRuns,
    pairedReservedSpans,
    pairedReservingRange,
    pairedSize,
    PoolSettings,
    SlicePools,
    slicePoolsOf,
} from "./slice-pools";
import { SliceSpec } from "./validation";

export type { LatencyHistogram, LedgerCounters } from "./counters";

/**
 * Where an allocation is in its life. `Available` and `Reclaimed` are not
 * stored: an index with no entry is available.
 */
export type AllocationStatus = "Allocated" | "InUse" | "Released";

export const ALLOCATION_STATUSES: readonly AllocationStatus[] = ["Allocated", "InUse", "Released"];

/** One cluster's subnet in a slice. Timestamps are ISO-8601 UTC strings. */
export interface Allocation {
    readonly clusterName: string;
    /** The subnet of the primary pool (`sliceSubnet`) at `index`. */
    readonly subnet: string;
    readonly index: number;
    /**
     * In a dual-stack slice, the IPv6 pool's subnet at `index`; absent in a
     * single-stack one. Derived from the index, never stored: stores write
     * entries as before and fill it in when they read (ledger-document.ts).
     */
    readonly subnetIpv6?: string;
    readonly status: AllocationStatus;
    readonly allocatedAt: string;
    readonly releasedAt?: string;
}

/**
 * Everything known about one slice's addresses. `allocations` is kept sorted
 * by `index`, with unique indexes and unique cluster names: that ordering is
 * what lets first-fit run in time proportional to the allocations, never to
 * the pool.
 */
export interface SliceLedger {
    readonly spec: SliceSpec;
    readonly registeredAt: string;
    readonly allocations: readonly Allocation[];
    readonly counters: LedgerCounters;
    /** The slice's past changes, oldest first and bounded (history.ts); absent in ledgers written before history was kept. */
    readonly history?: readonly HistoryEvent[];
}

/** How `allocate` satisfied a request. */
export type AllocationOutcome = "allocated" | "existing" | "reused";

/** Expected failures of ledger operations: values with a literal code and their data, never throws. */
export type LedgerIssue = Issue<
    | "no-available-subnets"
    | "max-clusters-reached"
    | "unknown-cluster"
    | "cluster-released"
    | "requested-subnet-taken"
    | "requested-subnet-reserved"
    | "planned-subnet-not-held"
    | "cluster-not-released"
>;

export type LedgerResult<T> =
    { readonly ok: true; readonly ledger: SliceLedger; readonly value: T } | { readonly ok: false; readonly issue: LedgerIssue };

/** Optional wishes for a new allocation. */
export interface AllocationRequest {
    /**
     * The subnet index to take if it is free (a planned or pinned subnet).
     * When another cluster holds it, first-fit applies and the result says so.
     * Ignored when the cluster already holds or reserves a subnet.
     */
    readonly requestedIndex?: number;
    /**
     * A pin rather than a plan: when another cluster holds the requested
     * index, fail with `requested-subnet-taken` instead of falling back.
     */
    readonly pinned?: boolean;
    /**
     * A plan that must hold: when the requested index was taken or reserved
     * since it was planned, fail with `planned-subnet-not-held` (naming the
     * subnet free now) instead of falling back to first-fit.
     */
    readonly mustHold?: boolean;
}

/** What became of a requested index. */
export interface RequestOutcome {
    readonly index: number;
    readonly honoured: boolean;
    /** The cluster holding the requested index when it was not honoured. */
    readonly heldBy?: string;
    /** The reserved range covering the requested index when it was not honoured. */
    readonly reservedBy?: string;
}

export interface AllocateValue {
    readonly allocation: Allocation;
    readonly outcome: AllocationOutcome;
    /** When `outcome` is "reused": when the subnet had been released. */
    readonly previouslyReleasedAt?: string;
    /** Entries reclaimed (grace period over) while making room. */
    readonly reclaimed: readonly Allocation[];
    /** Set when a new allocation was made with a requested index. */
    readonly request?: RequestOutcome;
    /**
     * The slice's capacity just before and just after this change, when it
     * changed anything (not for "existing"): exact even when many changes are
     * committed together, since each is applied to the ledger the one before left.
     */
    readonly capacity?: CapacityChange;
}

export interface CapacityChange {
    readonly before: Capacity;
    readonly after: Capacity;
}

export interface ReleaseValue {
    /** The entry after release, or undefined when the cluster held nothing. */
    readonly allocation?: Allocation;
    /** False when the entry was already Released or absent (release is idempotent). */
    readonly changed: boolean;
    /** When changed: what the entry was before, Allocated or InUse. */
    readonly previousStatus?: AllocationStatus;
}

/** A new, empty ledger for a registered slice. */
export function newLedger(spec: SliceSpec, now: Date): SliceLedger {
    return { spec, registeredAt: now.toISOString(), allocations: [], counters: emptyCounters() };
}

/** The pool a ledger allocates from. */
export function poolOf(spec: Pick<SliceSpec, "sliceSubnet" | "subnetSize">): Pool {
    return { sliceSubnet: cidrFromString(spec.sliceSubnet), subnetSize: spec.subnetSize };
}

/** The pool indexes a slice's reserved ranges keep out of allocation (in either pool of a dual-stack slice). */
export function reservedRunsOf(spec: PoolSettings & Pick<SliceSpec, "reservedRanges">): readonly IndexRun[] {
    return pairedReservedRuns(slicePoolsOf(spec), spec.reservedRanges);
}

/** `entry` with its IPv6 subnet as the slice's pools give it: set in a dual-stack slice, absent in a single-stack one. */
export function withPairedSubnet(pools: SlicePools, entry: Allocation): Allocation {
    const subnetIpv6 = ipv6SubnetAt(pools, entry.index);
    if (entry.subnetIpv6 === subnetIpv6) {
        return entry;
    }
    const { subnetIpv6: _dropped, ...rest } = entry;
    return subnetIpv6 === undefined ? rest : { ...rest, subnetIpv6 };
}

export function isActive(allocation: Allocation): boolean {
    return allocation.status !== "Released";
}

/** The entry (any status) held by a cluster. */
export function findAllocation(ledger: SliceLedger, clusterName: string): Allocation | undefined {
    return ledger.allocations.find((entry) => entry.clusterName === clusterName);
}

/** Who holds each pool index at `now`: entries whose grace period is over hold nothing. */
export function holderAt(ledger: SliceLedger, now: Date): HolderOf {
    return (index) => ledger.allocations.find((entry) => entry.index === index && !isReclaimable(ledger, entry, now))?.clusterName;
}

/** True when a Released entry's grace period is over at `now`. */
export function isReclaimable(ledger: SliceLedger, allocation: Allocation, now: Date): boolean {
    if (allocation.status !== "Released" || allocation.releasedAt === undefined) {
        return false;
    }
    return Date.parse(allocation.releasedAt) + ledger.spec.gracePeriodSeconds * 1000 <= now.getTime();
}

/** Returns Released entries past their grace period to the pool. Cannot fail. */
export function reclaim(ledger: SliceLedger, now: Date): { readonly ledger: SliceLedger; readonly reclaimed: readonly Allocation[] } {
    const reclaimed = ledger.allocations.filter((entry) => isReclaimable(ledger, entry, now));
    if (reclaimed.length === 0) {
        return { ledger, reclaimed };
    }
    const allocations = ledger.allocations.filter((entry) => !isReclaimable(ledger, entry, now));
    return { ledger: { ...ledger, allocations }, reclaimed };
}

/**
 * Returns one Released cluster's subnet to the pool before its grace period
 * ends: the cluster gives up getting it back on rejoin. Refused for a cluster
 * that holds an active subnet or none.
 */
export function reclaimEarly(ledger: SliceLedger, clusterName: string): LedgerResult<{ readonly reclaimed: Allocation }> {
    const held = findAllocation(ledger, clusterName);
    if (held === undefined || held.status !== "Released") {
        const issue = issueOf({
            code: "cluster-not-released",
            sliceName: ledger.spec.sliceName,
            clusterName,
            held: held === undefined ? undefined : { subnet: held.subnet, status: held.status as "Allocated" | "InUse" },
        });
        return { ok: false, issue };
    }
    const allocations = ledger.allocations.filter((entry) => entry !== held);
    return { ok: true, ledger: { ...ledger, allocations }, value: { reclaimed: held } };
}

/**
 * Gives `clusterName` a subnet. A cluster holding an active subnet gets that
 * one back; a cluster whose subnet is Released and still in grace gets it
 * back; any other cluster gets the lowest free index (first-fit), after
 * expired releases are reclaimed.
 */
export function allocate(ledger: SliceLedger, clusterName: string, now: Date, request: AllocationRequest = {}): LedgerResult<AllocateValue> {
    const { sliceName } = ledger.spec;
    const held = findAllocation(ledger, clusterName);
    if (held !== undefined && isActive(held)) {
        return { ok: true, ledger, value: { allocation: held, outcome: "existing", reclaimed: [] } };
    }
    const before = capacity(ledger, now);
    const activeCount = before.activeSubnets;
    if (activeCount >= ledger.spec.maxClusters) {
        return { ok: false, issue: issueOf({ code: "max-clusters-reached", sliceName, clusterName, activeClusters: activeCount }) };
    }
    // One more active subnet; a reused one is no longer counted as reserved.
    const after = (reusing: boolean, intoReserved: boolean) =>
        capacityOf(
            BigInt(before.exact.totalSubnets),
            activeCount + 1,
            before.releasedSubnets - (reusing ? 1 : 0),
            ledger.spec.maxClusters,
            BigInt(before.exact.reservedSubnets),
            before.reservedHeld + (intoReserved && !reusing ? 1 : 0),
        );
    if (held !== undefined && !isReclaimable(ledger, held, now)) {
        const allocation: Allocation = {
            clusterName,
            subnet: held.subnet,
            index: held.index,
            ...(held.subnetIpv6 === undefined ? {} : { subnetIpv6: held.subnetIpv6 }),
            status: "Allocated",
            allocatedAt: held.allocatedAt,
        };
        return {
            ok: true,
            ledger: replaceEntry(ledger, allocation),
            value: {
                allocation,
                outcome: "reused",
                previouslyReleasedAt: held.releasedAt,
                reclaimed: [],
                capacity: { before, after: after(true, false) },
            },
        };
    }

    const { ledger: afterReclaim, reclaimed } = reclaim(ledger, now);
    const pools = slicePoolsOf(ledger.spec);
    const pool = pools.primary;
    const total = pairedIndexable(pools);
    const runs = pairedReservedRuns(pools, ledger.spec.reservedRanges);
    const requested = request.requestedIndex;
    let index: number;
    let requestOutcome: RequestOutcome | undefined;
    if (requested !== undefined && Number.isInteger(requested) && requested >= 0 && requested < total) {
        const slice = { sliceName, pool, ipv6Pool: pools.ipv6, reservedRanges: ledger.spec.reservedRanges };
        const claimed = claimRequestedIndex(slice, clusterName, requested, holderAt(afterReclaim, now), request.pinned === true);
        if (!claimed.ok) {
            return { ok: false, issue: claimed.issue };
        }
        requestOutcome = { index: requested, honoured: claimed.honoured, heldBy: claimed.heldBy, reservedBy: claimed.reservedBy };
        index = claimed.honoured ? requested : lowestFreeIndex(afterReclaim.allocations, runs);
        if (!claimed.honoured && request.mustHold === true) {
            const issue = issueOf({
                code: "planned-subnet-not-held",
                sliceName,
                clusterName,
                plannedSubnet: subnetTextAt(pool, requested),
                heldBy: claimed.heldBy,
                reservedBy: claimed.reservedBy,
                freeSubnet: index < total ? subnetTextAt(pool, index) : undefined,
            });
            return { ok: false, issue };
        }
    } else {
        index = lowestFreeIndex(afterReclaim.allocations, runs);
    }
    if (index >= total) {
        return { ok: false, issue: exhausted(afterReclaim, clusterName, now) };
    }
    const allocation = withPairedSubnet(pools, {
        clusterName,
        subnet: subnetTextAt(pool, index),
        index,
        status: "Allocated",
        allocatedAt: now.toISOString(),
    });
    return {
        ok: true,
        ledger: insertEntry(afterReclaim, allocation),
        value: {
            allocation,
            outcome: "allocated",
            reclaimed,
            request: requestOutcome,
            capacity: { before, after: after(false, runContaining(runs, index) !== undefined) },
        },
    };
}

/** Marks a cluster's subnet Released at `now`. Idempotent; absent clusters are not an error, so it cannot fail. */
export function release(ledger: SliceLedger, clusterName: string, now: Date): { readonly ledger: SliceLedger; readonly value: ReleaseValue } {
    const held = findAllocation(ledger, clusterName);
    if (held === undefined) {
        return { ledger, value: { changed: false } };
    }
    if (!isActive(held)) {
        return { ledger, value: { allocation: held, changed: false } };
    }
    const allocation: Allocation = { ...held, status: "Released", releasedAt: now.toISOString() };
    return { ledger: replaceEntry(ledger, allocation), value: { allocation, changed: true, previousStatus: held.status } };
}

/** Records that a cluster is using its subnet (Allocated → InUse). */
export function markInUse(ledger: SliceLedger, clusterName: string): LedgerResult<{ allocation: Allocation }> {
    const { sliceName } = ledger.spec;
    const held = findAllocation(ledger, clusterName);
    if (held === undefined) {
        return { ok: false, issue: issueOf({ code: "unknown-cluster", sliceName, clusterName }) };
    }
    if (held.status === "Released") {
        const issue = issueOf({ code: "cluster-released", sliceName, clusterName, subnet: held.subnet, releasedAt: held.releasedAt });
        return { ok: false, issue };
    }
    if (held.status === "InUse") {
        return { ok: true, ledger, value: { allocation: held } };
    }
    const allocation: Allocation = { ...held, status: "InUse" };
    return { ok: true, ledger: replaceEntry(ledger, allocation), value: { allocation } };
}

/** Capacity figures of a slice as of `now` (expired releases count as available). */
export interface Capacity {
    /**
     * The pool's size, 2^(subnetSize − prefix): a power of two, so exact as a number even past 2^53 (its text is in `exact`).
     * In a dual-stack slice, the indexes both pools have: the smaller pool's size.
     */
    readonly totalSubnets: number;
    /** Allocated or InUse. */
    readonly activeSubnets: number;
    /** Released and still reserved for their cluster. */
    readonly releasedSubnets: number;
    /** Subnets of the pool a reserved range touches, held or not. */
    readonly reservedSubnets: number;
    /** Of those, the ones a cluster holds (active or Released): holders kept when a range was added over them. */
    readonly reservedHeld: number;
    /** How many more clusters can join now. */
    readonly availableSubnets: number;
    /**
     * activeSubnets / usable subnets, 0..1, where usable subnets are the pool less the reserved
     * subnets nobody holds: what the slice can ever hand out. 1 when nothing is usable.
     */
    readonly utilization: number;
    /**
     * The figures that can pass 2^53 in an IPv6 pool, as exact decimal text; the
     * numbers above are float64 and, past 2^53, only the nearest value.
     */
    readonly exact: ExactCapacity;
}

/** Decimal text of the capacity figures that an IPv6 pool can take past `Number.MAX_SAFE_INTEGER`. */
export interface ExactCapacity {
    readonly totalSubnets: string;
    readonly reservedSubnets: string;
    /** The pool less the reserved subnets nobody holds. */
    readonly usableSubnets: string;
}

export function capacity(ledger: SliceLedger, now: Date): Capacity {
    const pools = slicePoolsOf(ledger.spec);
    // Once: the runs (which entries sit in a reserved range) and the exact count come from the same spans.
    const spans = pairedReservedSpans(pools, ledger.spec.reservedRanges);
    const runs = pairedIndexRuns(pools, spans);
    let active = 0;
    let released = 0;
    let reservedHeld = 0;
    for (const entry of ledger.allocations) {
        const holds = isActive(entry) || !isReclaimable(ledger, entry, now);
        if (isActive(entry)) {
            active++;
        } else if (holds) {
            released++;
        }
        if (holds && runs.length > 0 && runContaining(runs, entry.index) !== undefined) {
            reservedHeld++;
        }
    }
    return capacityOf(pairedSize(pools), active, released, ledger.spec.maxClusters, spanCount(spans), reservedHeld);
}

/**
 * The capacity formula: a cluster can join while a subnet is neither active,
 * reserved for its released cluster nor in a reserved range, and the cluster
 * limit leaves room.
 */
export function capacityOf(
    totalSubnets: bigint,
    activeSubnets: number,
    releasedSubnets: number,
    maxClusters: number,
    reservedSubnets = 0n,
    reservedHeld = 0,
): Capacity {
    // In bigint: an IPv6 pool's size and reserved count can pass 2^53, and their difference must stay exact.
    const usable = totalSubnets - reservedSubnets + BigInt(reservedHeld);
    const free = usable - BigInt(activeSubnets + releasedSubnets);
    const room = BigInt(maxClusters - activeSubnets);
    const available = free < room ? free : room;
    return {
        totalSubnets: Number(totalSubnets),
        activeSubnets,
        releasedSubnets,
        reservedSubnets: Number(reservedSubnets),
        reservedHeld,
        availableSubnets: available > 0n ? Number(available) : 0,
        utilization: usable > 0n ? activeSubnets / Number(usable) : 1,
        exact: { totalSubnets: exactCount(totalSubnets), reservedSubnets: exactCount(reservedSubnets), usableSubnets: exactCount(usable) },
    };
}

/**
 * Lowest index with no entry and in no reserved run. `allocations` must be
 * sorted by unique index, `runs` sorted and disjoint: one pass over both, so
 * the cost follows the allocations and ranges, never the pool.
 */
export function lowestFreeIndex(allocations: readonly Allocation[], runs: readonly IndexRun[] = []): number {
    const skipRun = (index: number) => runContaining(runs, index)?.last ?? index - 1;
    let expected = skipRun(0) + 1;
    for (const entry of allocations) {
        if (entry.index > expected) {
            return expected;
        }
        if (entry.index === expected) {
            expected = skipRun(expected + 1) + 1;
        }
    }
    return expected;
}

function exhausted(ledger: SliceLedger, clusterName: string, now: Date): LedgerIssue {
    const { sliceName, sliceSubnet, subnetSize } = ledger.spec;
    const figures = capacity(ledger, now);
    const released = ledger.allocations.filter((entry) => !isActive(entry));
    const freedFirst = released
        .map((entry) => Date.parse(entry.releasedAt ?? "") + ledger.spec.gracePeriodSeconds * 1000)
        .filter(Number.isFinite)
        .sort((a, b) => a - b)[0];
    return issueOf({
        code: "no-available-subnets",
        sliceName,
        clusterName,
        sliceSubnet,
        subnetSize,
        totalSubnets: figures.totalSubnets,
        planned: false,
        reserved:
            freedFirst === undefined ? undefined : { releasedSubnets: figures.releasedSubnets, firstReturnAt: new Date(freedFirst).toISOString() },
    });
}

function insertEntry(ledger: SliceLedger, allocation: Allocation): SliceLedger {
    const allocations = [...ledger.allocations];
    let position = allocations.findIndex((entry) => entry.index > allocation.index);
    if (position === -1) {
        position = allocations.length;
    }
    allocations.splice(position, 0, allocation);
    return { ...ledger, allocations };
}

function replaceEntry(ledger: SliceLedger, allocation: Allocation): SliceLedger {
    return {
        ...ledger,
        allocations: ledger.allocations.map((entry) => (entry.clusterName === allocation.clusterName ? allocation : entry)),
    };
}

/**
 * Everything wrong with a ledger's structure: sorted unique indexes, unique
 * clusters, each subnet the block at its index. Stores use it to refuse a
 * document edited into an inconsistent state rather than hand out duplicates.
 */
export function ledgerProblems(ledger: SliceLedger): string[] {
    const problems: string[] = duplicateClusterProblems(ledger.allocations);
    const pools = slicePoolsOf(ledger.spec);
    const pool = pools.primary;
    const total = pairedIndexable(pools);
    let previousIndex = -1;
    for (const entry of ledger.allocations) {
        if (entry.index <= previousIndex) {
            problems.push(`allocations are not in strictly increasing index order at index ${entry.index}`);
        }
        previousIndex = entry.index;
        if (!Number.isSafeInteger(entry.index) || entry.index < 0 || entry.index >= total) {
            problems.push(`cluster "${entry.clusterName}" has index ${entry.index}, outside 0..${total - 1}`);
        } else if (subnetTextAt(pool, entry.index) !== entry.subnet) {
            problems.push(
                `cluster "${entry.clusterName}" has subnet ${entry.subnet}, but index ${entry.index} is ` + `${subnetTextAt(pool, entry.index)}`,
            );
        } else if (entry.subnetIpv6 !== ipv6SubnetAt(pools, entry.index)) {
            problems.push(
                `cluster "${entry.clusterName}" has IPv6 subnet ${entry.subnetIpv6 ?? "(none)"}, but index ${entry.index} pairs with ` +
                    `${ipv6SubnetAt(pools, entry.index) ?? "none (a single-stack slice)"}`,
            );
        }
        if (entry.status === "Released" && entry.releasedAt === undefined) {
            problems.push(`cluster "${entry.clusterName}" is Released without releasedAt`);
        }
    }
    return problems;
}

/** One allocation per cluster: the rule a ledger assembled from parts checks across them. */
export function duplicateClusterProblems(allocations: readonly Allocation[]): string[] {
    const clusters = new Set<string>();
    const problems: string[] = [];
    for (const entry of allocations) {
        if (clusters.has(entry.clusterName)) {
            problems.push(`cluster "${entry.clusterName}" has more than one allocation`);
        }
        clusters.add(entry.clusterName);
    }
    return problems;
}

/** The settings that may change in place on a registered slice. */
export type MutableSliceSettings = Pick<SliceSpec, "gracePeriodSeconds" | "maxClusters" | "reservedRanges">;

/** Applies new mutable settings; allocations are untouched. No reserved ranges is stored as none (absent). */
export function withSettings(ledger: SliceLedger, settings: MutableSliceSettings): SliceLedger {
    const { reservedRanges, ...rest } = { ...ledger.spec, ...settings };
    return { ...ledger, spec: { ...rest, ...(reservedRanges === undefined || reservedRanges.length === 0 ? {} : { reservedRanges }) } };
}

/** Two lists of reserved ranges that keep the same text out of the pool (order and repeats aside). */
export function sameReservedRanges(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
    const left = [...new Set(a ?? [])].sort();
    const right = [...new Set(b ?? [])].sort();
    return left.length === right.length && left.every((range, i) => range === right[i]);
}

/**
 * Ranges of `reservedRanges` not already in the ledger's spec that cover a
 * subnet some cluster holds at `now` (Allocated, InUse, or Released in its
 * grace period), each with its holders. Ranges already stored were accepted
 * when added; removing ranges frees nothing.
 */
export function reservedOverlapsWithHeld(
    ledger: SliceLedger,
    reservedRanges: readonly string[] | undefined,
    now: Date,
): Issue<"reserved-range-overlaps-held">[] {
    const stored = new Set(ledger.spec.reservedRanges ?? []);
    const pools = slicePoolsOf(ledger.spec);
    const issues: Issue<"reserved-range-overlaps-held">[] = [];
    for (const range of new Set(reservedRanges ?? [])) {
        if (stored.has(range)) {
            continue;
        }
        const runs = pairedReservedRuns(pools, [range]);
        const holders = ledger.allocations
            .filter((entry) => !isReclaimable(ledger, entry, now) && runContaining(runs, entry.index) !== undefined)
            .map((entry) => ({ clusterName: entry.clusterName, subnet: subnetInFamilyOf(entry, range) }));
        if (holders.length > 0) {
            issues.push(issueOf({ code: "reserved-range-overlaps-held", sliceName: ledger.spec.sliceName, range, holders }));
        }
    }
    return issues;
}

/** The entry's subnet of the range's IP family: what a message about that range names. */
function subnetInFamilyOf(entry: Allocation, range: string): string {
    const parsed = parseCidr(range);
    return parsed.ok && parsed.cidr.version === 6 && entry.subnetIpv6 !== undefined ? entry.subnetIpv6 : entry.subnet;
}

/** Entries holding a subnet inside a reserved range: kept when the range was added with acceptReservedOverlaps. */
export function heldInReserved(ledger: SliceLedger, now: Date): { readonly allocation: Allocation; readonly range: string }[] {
    const runs = reservedRunsOf(ledger.spec);
    if (runs.length === 0) {
        return [];
    }
    const pools = slicePoolsOf(ledger.spec);
    return ledger.allocations
        .filter((entry) => !isReclaimable(ledger, entry, now) && runContaining(runs, entry.index) !== undefined)
        .map((entry) => ({ allocation: entry, range: pairedReservingRange(pools, ledger.spec.reservedRanges, entry.index) ?? "" }));
}

/**
 * The first of `others` whose pool overlaps the pool of `spec`: the pools of
 * one store must be disjoint. A spec of the same slice name is not another slice.
 */
export function overlappingSlice(spec: SliceSpec, others: readonly SliceSpec[]): SliceSpec | undefined {
    return others.find((other) => other.sliceName !== spec.sliceName && overlappingSubnets(spec, other) !== undefined);
}

/** The first pair of pools of two slices that overlap, as their slice subnets' text: every pool of a slice counts. */
export function overlappingSubnets(spec: PoolSettings, other: PoolSettings): readonly [string, string] | undefined {
    for (const pool of eachPool(slicePoolsOf(spec))) {
        const clash = eachPool(slicePoolsOf(other)).find((theirs) => overlaps(pool.sliceSubnet, theirs.sliceSubnet));
        if (clash !== undefined) {
            return [cidrToString(pool.sliceSubnet), cidrToString(clash.sliceSubnet)];
        }
    }
    return undefined;
}

/** True when two specs describe the same pools (the immutable part of a slice). */
export function samePool(a: SliceSpec, b: SliceSpec): boolean {
    return (
        a.sliceName === b.sliceName &&
        a.sliceSubnet === b.sliceSubnet &&
        a.subnetSize === b.subnetSize &&
        a.sliceSubnetIpv6 === b.sliceSubnetIpv6 &&
        a.subnetSizeIpv6 === b.subnetSizeIpv6
    );
}
