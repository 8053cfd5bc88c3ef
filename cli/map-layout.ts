import { Capacity, capacity, poolOf, SliceLedger } from "../provider/core/ledger";
import { exactBeyondSafe, Pool, poolSize, subnetTextAtOffset, totalSubnets } from "../provider/core/pool";
import { ipv6PoolOf } from "../provider/core/slice-pools";
import { allocationViews, AllocationView } from "./views";

/**
 * The layout of a slice's pool as a map: which subnet is in which state, cut
 * into at most `maxCells` cells of equal size. Pure, and never enumerates the
 * pool: the cost grows with the allocations and the cells, so a /8 of /30s
 * (4,194,304 subnets) lays out as fast as a /16 of /24s.
 */

/**
 * What a subnet is at `now`. `Released` subnets are still reserved for their
 * cluster (grace left); `expired` ones are Released past their grace period:
 * still recorded, but the next allocation returns them to the pool, so they
 * count as available.
 */
export type SubnetState = "InUse" | "Allocated" | "Released" | "expired" | "free";

/** In the order a cell's tie between two states is decided, and legends list them. */
export const SUBNET_STATES: readonly SubnetState[] = ["InUse", "Allocated", "Released", "expired", "free"];

/** What a preview changes about a subnet: a cluster joins (`add`) or leaves (`release`). */
export type SubnetChange = "add" | "release";

export const SUBNET_CHANGES: readonly SubnetChange[] = ["add", "release"];

export type StateCounts = Readonly<Record<SubnetState, number>>;

/** One recorded subnet of a cell, with what `show` says about it. */
export interface MapEntry extends AllocationView {
    readonly state: SubnetState;
    readonly change?: SubnetChange;
}

/** A run of subnets of the pool, by index. */
export interface SubnetRun {
    /** Past 2^53 (a cell of a huge IPv6 pool) a float64, exact for a cell's start: a multiple of its power-of-two size. */
    readonly firstIndex: number;
    readonly length: number;
    /** `length` as exact text, only when it passes 2^53 (an IPv6 pool). */
    readonly lengthExact?: string;
    readonly firstSubnet: string;
    readonly lastSubnet: string;
    /** A dual-stack slice's IPv6 subnets at the same indexes, where its IPv6 pool has them. */
    readonly firstSubnetIpv6?: string;
    readonly lastSubnetIpv6?: string;
}

export interface MapCell extends SubnetRun {
    readonly counts: StateCounts;
    /** The state most of the cell's recorded subnets are in; `free` only when nothing in it is recorded. */
    readonly state: SubnetState;
    /** True when every subnet of the cell is in `state`. */
    readonly uniform: boolean;
    /** The preview's changes in the cell; both when it adds and releases. */
    readonly changes: readonly SubnetChange[];
    /** The recorded subnets of the cell, by index. */
    readonly entries: readonly MapEntry[];
}

export interface SliceMap {
    readonly slice: string;
    readonly sliceSubnet: string;
    readonly subnetSize: number;
    /** Only for a dual-stack slice: its IPv6 pool, whose subnet at each index the cluster holding it also holds. */
    readonly sliceSubnetIpv6?: string;
    readonly subnetSizeIpv6?: number;
    readonly totalSubnets: number;
    readonly subnetsPerCell: number;
    /** Cells per row: a power of two, so rows start at aligned blocks. */
    readonly columns: number;
    readonly cells: readonly MapCell[];
    readonly counts: StateCounts;
    /** `counts.free` as exact text, only when it passes 2^53 (an IPv6 pool). */
    readonly freeExact?: string;
    /** The core's capacity figures, as `status` shows them. */
    readonly capacity: Capacity;
    /** The longest run of consecutive available subnets (free or expired); undefined when the pool is full. */
    readonly largestFreeRun?: SubnetRun;
    readonly now: string;
}

export interface MapOptions {
    /** At most this many cells; a power of two (the pool is cut into aligned blocks). */
    readonly maxCells: number;
    /** Subnet index → what a preview does to it (see `previewed` in preview-plan.ts). */
    readonly changes?: ReadonlyMap<number, SubnetChange>;
}

/** Cells of the terminal map: 32 rows of 32 fit a screen. */
export const TERMINAL_MAX_CELLS = 1024;
/** Cells of an HTML grid: 64 × 64, which a browser lays out at once. */
export const HTML_MAX_CELLS = 4096;

export function stateOf(entry: Pick<AllocationView, "status" | "reclaimable">): SubnetState {
    return entry.reclaimable ? "expired" : entry.status;
}

export function sliceMap(ledger: SliceLedger, now: Date, options: MapOptions): SliceMap {
    const pool = poolOf(ledger.spec);
    const total = totalSubnets(pool);
    const subnetsPerCell = cellSize(total, options.maxCells);
    const cellCount = total / subnetsPerCell;
    const entries: MapEntry[] = allocationViews(ledger, now).map((view) => {
        const change = options.changes?.get(view.index);
        return { ...view, state: stateOf(view), ...(change === undefined ? {} : { change }) };
    });
    const byCell = new Map<number, MapEntry[]>();
    for (const entry of entries) {
        const cell = Math.floor(entry.index / subnetsPerCell);
        const inCell = byCell.get(cell);
        if (inCell === undefined) {
            byCell.set(cell, [entry]);
        } else {
            inCell.push(entry);
        }
    }
    const cells: MapCell[] = [];
    for (let cell = 0; cell < cellCount; cell++) {
        const run = subnetRun(ledger, BigInt(cell) * BigInt(subnetsPerCell), BigInt(subnetsPerCell));
        const inCell = byCell.get(cell) ?? [];
        // A release planned for a subnet the ledger no longer records cannot be drawn; an add is drawn where it lands.
        const changes = SUBNET_CHANGES.filter((change) => inCell.some((entry) => entry.change === change));
        cells.push({ ...run, ...cellState(inCell, subnetsPerCell), changes, entries: inCell });
    }
    return {
        slice: ledger.spec.sliceName,
        sliceSubnet: ledger.spec.sliceSubnet,
        subnetSize: ledger.spec.subnetSize,
        ...(ledger.spec.sliceSubnetIpv6 === undefined
            ? {}
            : { sliceSubnetIpv6: ledger.spec.sliceSubnetIpv6, subnetSizeIpv6: ledger.spec.subnetSizeIpv6 }),
        totalSubnets: total,
        subnetsPerCell,
        columns: columnsFor(cellCount),
        cells,
        counts: countStates(entries, total),
        ...exactBeyondSafe("freeExact", poolSize(pool) - BigInt(entries.length)),
        capacity: capacity(ledger, now),
        largestFreeRun: largestFreeRun(ledger, entries),
        now: now.toISOString(),
    };
}

/** How many subnets of the pool are in `state`, exactly: the free count of an IPv6 pool can pass 2^53. */
export function stateCount(map: Pick<SliceMap, "counts" | "freeExact">, state: SubnetState): number | bigint {
    return state === "free" && map.freeExact !== undefined ? BigInt(map.freeExact) : map.counts[state];
}

/** The smallest power of two of subnets per cell that keeps the cells within `maxCells`. */
export function cellSize(totalSubnets: number, maxCells: number): number {
    let size = 1;
    while (totalSubnets / size > maxCells) {
        size *= 2;
    }
    return size;
}

/** A near-square grid: the power of two at or above the square root, at most 64 wide. */
export function columnsFor(cells: number): number {
    let columns = 1;
    while (columns * columns < cells && columns < 64) {
        columns *= 2;
    }
    return columns;
}

function cellState(entries: readonly MapEntry[], size: number): Pick<MapCell, "counts" | "state" | "uniform"> {
    const counts = countStates(entries, size);
    const held = SUBNET_STATES.filter((state) => state !== "free");
    const state = held.reduce<SubnetState>(
        (best, candidate) => (counts[candidate] > (best === "free" ? 0 : counts[best]) ? candidate : best),
        "free",
    );
    return { counts, state, uniform: counts[state] === size };
}

function countStates(entries: readonly MapEntry[], size: number): StateCounts {
    const counts: Record<SubnetState, number> = { InUse: 0, Allocated: 0, Released: 0, expired: 0, free: 0 };
    for (const entry of entries) {
        counts[entry.state]++;
    }
    counts.free = size - entries.length;
    return counts;
}

/**
 * The longest run of subnets a new cluster could take (no entry, or an
 * expired one the next allocation reclaims); the lowest such run on a tie.
 */
export function largestFreeRun(ledger: SliceLedger, entries: readonly Pick<MapEntry, "index" | "state">[]): SubnetRun | undefined {
    // In bigint: the run after the last held subnet of an IPv6 pool can be 2^56 long.
    const total = poolSize(poolOf(ledger.spec));
    const held = entries.filter((entry) => entry.state !== "expired" && entry.state !== "free").map((entry) => BigInt(entry.index));
    let best: { start: bigint; length: bigint } | undefined;
    let start = 0n;
    for (const index of [...held, total]) {
        const length = index - start;
        if (length > 0n && (best === undefined || length > best.length)) {
            best = { start, length };
        }
        start = index + 1n;
    }
    return best === undefined ? undefined : subnetRun(ledger, best.start, best.length);
}

function subnetRun(ledger: SliceLedger, first: bigint, length: bigint): SubnetRun {
    const pool = poolOf(ledger.spec);
    const last = first + length - 1n;
    return {
        firstIndex: Number(first),
        length: Number(length),
        ...exactBeyondSafe("lengthExact", length),
        firstSubnet: subnetTextAtOffset(pool, first),
        lastSubnet: subnetTextAtOffset(pool, last),
        ...ipv6Bounds(ipv6PoolOf(ledger.spec), first, last),
    };
}

/**
 * The IPv6 subnets paired with a run's first and last index. The grid covers
 * the IPv4 pool, so a smaller IPv6 pool may end inside the run: its bounds are
 * given only when the IPv6 pool has both.
 */
function ipv6Bounds(ipv6: Pool | undefined, first: bigint, last: bigint): Pick<SubnetRun, "firstSubnetIpv6" | "lastSubnetIpv6"> {
    if (ipv6 === undefined || last >= poolSize(ipv6)) {
        return {};
    }
    return { firstSubnetIpv6: subnetTextAtOffset(ipv6, first), lastSubnetIpv6: subnetTextAtOffset(ipv6, last) };
}
