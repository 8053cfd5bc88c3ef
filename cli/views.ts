import { Allocation, AllocationStatus, capacity, Capacity, heldInReserved, isActive, isReclaimable, SliceLedger } from "../provider/core/ledger";
import { blockSize, cidrFromString, IpVersion } from "../provider/core/cidr";
import { exactBeyondSafe } from "../provider/core/pool";
import { StorageUsage } from "../provider/store/ledger-store";
import { Column, humanDuration, percent, shortTimestamp, thousands } from "./format";

/**
 * What each `slice-ipam` command shows, computed from ledgers. Pure: the
 * caller passes `now`, so ages and grace periods are reproducible.
 */

// ---- status ---------------------------------------------------------------

/** One slice, as `status` lists it (the guide's `kubectl get sliceipam` columns and more). */
export interface SliceStatus {
    readonly name: string;
    readonly sliceSubnet: string;
    readonly subnetSize: number;
    /** Only for a dual-stack slice: its IPv6 pool. */
    readonly sliceSubnetIpv6?: string;
    readonly subnetSizeIpv6?: number;
    readonly availableSubnets: number;
    readonly totalSubnets: number;
    /** Allocated or InUse. */
    readonly allocatedSubnets: number;
    /** Released and still reserved for their cluster. */
    readonly releasedSubnets: number;
    /** allocatedSubnets / usable subnets (the pool less the reserved subnets nobody holds), 0..1. */
    readonly utilization: number;
    /** Only for a slice with reserved ranges: the ranges, and the pool subnets they touch (held or not). */
    readonly reservedRanges?: readonly string[];
    readonly reservedSubnets?: number;
    /** Exact text of `totalSubnets` and `reservedSubnets`, each only when it passes 2^53 (an IPv6 pool). */
    readonly totalSubnetsExact?: string;
    readonly reservedSubnetsExact?: string;
    readonly gracePeriodSeconds: number;
    readonly maxClusters: number;
    readonly registeredAt: string;
    readonly ageSeconds: number;
    /** Share (0..1) of the store's size budget the slice uses, where the store has one (Kubernetes). */
    readonly storeUse?: number;
    /** What that budget is. */
    readonly storeLimit?: string;
}

export function sliceStatus(ledger: SliceLedger, now: Date, storage?: StorageUsage): SliceStatus {
    const figures = capacity(ledger, now);
    return {
        ...(storage === undefined ? {} : { storeUse: storage.usedBytes / storage.limitBytes, storeLimit: storage.limit }),
        name: ledger.spec.sliceName,
        sliceSubnet: ledger.spec.sliceSubnet,
        subnetSize: ledger.spec.subnetSize,
        ...(ledger.spec.sliceSubnetIpv6 === undefined
            ? {}
            : { sliceSubnetIpv6: ledger.spec.sliceSubnetIpv6, subnetSizeIpv6: ledger.spec.subnetSizeIpv6 }),
        availableSubnets: figures.availableSubnets,
        totalSubnets: figures.totalSubnets,
        allocatedSubnets: figures.activeSubnets,
        releasedSubnets: figures.releasedSubnets,
        utilization: figures.utilization,
        ...(ledger.spec.reservedRanges === undefined ? {} : { reservedRanges: ledger.spec.reservedRanges, reservedSubnets: figures.reservedSubnets }),
        ...exactBeyondSafe("totalSubnetsExact", BigInt(figures.exact.totalSubnets)),
        ...(ledger.spec.reservedRanges === undefined ? {} : exactBeyondSafe("reservedSubnetsExact", BigInt(figures.exact.reservedSubnets))),
        gracePeriodSeconds: ledger.spec.gracePeriodSeconds,
        maxClusters: ledger.spec.maxClusters,
        registeredAt: ledger.registeredAt,
        ageSeconds: Math.floor((now.getTime() - Date.parse(ledger.registeredAt)) / 1000),
    };
}

/** A slice `status` cannot read (corrupt, hand-edited): listed by name, so the others still show. */
export interface UnreadableSliceStatus {
    readonly name: string;
    /** Why, as the store said it; the command also prints it as an error. */
    readonly unreadable: string;
}

export type StatusRow = SliceStatus | UnreadableSliceStatus;

/** A status cell; an unreadable slice shows `unreadable` in the first of them and `-` in the rest. */
function statusCell(cell: (row: SliceStatus) => string, unreadable = "-"): (row: StatusRow) => string {
    return (row) => ("unreadable" in row ? unreadable : cell(row));
}

export const STATUS_COLUMNS: readonly Column<StatusRow>[] = [
    { header: "NAME", cell: (row) => row.name },
    // A dual-stack slice's two pools and sizes, comma-separated as Kubernetes writes dual-stack CIDRs (podCIDRs).
    { header: "SLICE SUBNET", cell: statusCell((row) => [row.sliceSubnet, row.sliceSubnetIpv6].filter(Boolean).join(","), "UNREADABLE") },
    { header: "SUBNET SIZE", cell: statusCell((row) => [row.subnetSize, row.subnetSizeIpv6].filter(Boolean).join(",")) },
    { header: "AVAILABLE", cell: statusCell((row) => String(row.availableSubnets)) },
    { header: "TOTAL", cell: statusCell((row) => row.totalSubnetsExact ?? String(row.totalSubnets)) },
    { header: "UTILIZATION", cell: statusCell((row) => percent(row.utilization)) },
    { header: "AGE", cell: statusCell((row) => humanDuration(row.ageSeconds * 1000)) },
];

/** How close the slice is to its store's size limit: the one limit the Kubernetes store has left. */
export const STORE_USE_COLUMN: Column<StatusRow> = {
    header: "STORE USE",
    cell: statusCell((row) => (row.storeUse === undefined ? "-" : percent(row.storeUse))),
};

// ---- show -----------------------------------------------------------------

/** One cluster's entry, as `show` lists it. */
export interface AllocationView extends Allocation {
    /** Released entries: when the subnet stops being reserved for the cluster. */
    readonly graceEndsAt?: string;
    /** Released entries: seconds of grace left, 0 once over. */
    readonly graceLeftSeconds?: number;
    /** True when the grace period is over: the next allocation in the slice returns the subnet to the pool. */
    readonly reclaimable: boolean;
}

export function allocationViews(ledger: SliceLedger, now: Date): AllocationView[] {
    return ledger.allocations.map((entry) => {
        if (isActive(entry) || entry.releasedAt === undefined) {
            return { ...entry, reclaimable: false };
        }
        const graceEnds = Date.parse(entry.releasedAt) + ledger.spec.gracePeriodSeconds * 1000;
        return {
            ...entry,
            graceEndsAt: new Date(graceEnds).toISOString(),
            graceLeftSeconds: Math.max(0, Math.floor((graceEnds - now.getTime()) / 1000)),
            reclaimable: isReclaimable(ledger, entry, now),
        };
    });
}

/** Subnets in one cell: a dual-stack entry's two comma-separated, as Kubernetes writes dual-stack CIDRs; `-` for none. */
export function subnetsText(entry: { readonly subnet?: string; readonly subnetIpv6?: string }): string {
    if (entry.subnet === undefined) {
        return "-";
    }
    return entry.subnetIpv6 === undefined ? entry.subnet : `${entry.subnet},${entry.subnetIpv6}`;
}

export const ALLOCATION_COLUMNS: readonly Column<AllocationView>[] = [
    { header: "CLUSTER", cell: (row) => row.clusterName },
    { header: "SUBNET", cell: subnetsText },
    { header: "STATUS", cell: (row) => row.status },
    { header: "ALLOCATED", cell: (row) => shortTimestamp(row.allocatedAt) },
    { header: "RELEASED", cell: (row) => (row.releasedAt === undefined ? "-" : shortTimestamp(row.releasedAt)) },
    {
        header: "GRACE LEFT",
        cell: (row) => (row.graceLeftSeconds === undefined ? "-" : row.reclaimable ? "expired" : humanDuration(row.graceLeftSeconds * 1000)),
    },
];

// ---- check ----------------------------------------------------------------

export type ClusterCheckResult = "ok" | "missing" | "unexpected";

/** One cluster named by the expected list, the ledger, or both. */
export interface ClusterCheck {
    readonly clusterName: string;
    readonly expected: boolean;
    /** The ledger entry's status, or undefined when the ledger has none. */
    readonly ledgerStatus?: AllocationStatus;
    readonly subnet?: string;
    readonly result: ClusterCheckResult;
}

/** The guide's "validate state consistency" recipe: the expected clusters vs the ledger's active ones. */
export interface CheckReport {
    readonly slice: string;
    readonly consistent: boolean;
    /** Expected and holding an active subnet. */
    readonly matched: readonly string[];
    /** Expected, but with no active subnet (none, or Released). */
    readonly missing: readonly string[];
    /** Holding an active subnet, but not expected. */
    readonly unexpected: readonly string[];
    /** Every cluster involved, sorted by name. */
    readonly clusters: readonly ClusterCheck[];
    /**
     * Clusters keeping a subnet inside a reserved range (the range was added over it with
     * acceptReservedOverlaps): reported, not a mismatch. Present only when there are any.
     */
    readonly inReservedRanges?: readonly { readonly clusterName: string; readonly subnet: string; readonly range: string }[];
}

export function checkClusters(ledger: SliceLedger, expectedClusters: readonly string[], now: Date = new Date()): CheckReport {
    const expected = new Set(expectedClusters);
    const entries = new Map(ledger.allocations.map((entry) => [entry.clusterName, entry]));
    const names = [...new Set([...expected, ...entries.keys()])].sort();
    const clusters = names.map((clusterName): ClusterCheck => {
        const entry = entries.get(clusterName);
        const active = entry !== undefined && isActive(entry);
        const isExpected = expected.has(clusterName);
        const result: ClusterCheckResult = isExpected === active ? "ok" : isExpected ? "missing" : active ? "unexpected" : "ok";
        return {
            clusterName,
            expected: isExpected,
            ...(entry === undefined ? {} : { ledgerStatus: entry.status, subnet: entry.subnet }),
            result,
        };
    });
    const named = (result: ClusterCheckResult) => clusters.filter((c) => c.result === result).map((c) => c.clusterName);
    const missing = named("missing");
    const unexpected = named("unexpected");
    const inReserved = heldInReserved(ledger, now).map(({ allocation, range }) => ({
        clusterName: allocation.clusterName,
        subnet: allocation.subnet,
        range,
    }));
    return {
        slice: ledger.spec.sliceName,
        consistent: missing.length === 0 && unexpected.length === 0,
        matched: clusters.filter((c) => c.expected && c.result === "ok").map((c) => c.clusterName),
        missing,
        unexpected,
        clusters,
        ...(inReserved.length === 0 ? {} : { inReservedRanges: inReserved }),
    };
}

/** The line `check` adds for clusters keeping subnets inside reserved ranges, or undefined. */
export function reservedHoldersSummary(report: CheckReport): string | undefined {
    const holders = report.inReservedRanges ?? [];
    if (holders.length === 0) {
        return undefined;
    }
    return (
        `slice "${report.slice}": ${holders.length} cluster(s) keep a subnet inside a reserved range (accepted with ` +
        `acceptReservedOverlaps): ${holders.map((h) => `${h.clusterName} (${h.subnet} in ${h.range})`).join(", ")}; ` +
        `nothing new is allocated there, and each subnet returns to the reserved range once its cluster leaves.`
    );
}

export const CHECK_COLUMNS: readonly Column<ClusterCheck>[] = [
    { header: "CLUSTER", cell: (row) => row.clusterName },
    { header: "EXPECTED", cell: (row) => (row.expected ? "yes" : "no") },
    { header: "LEDGER", cell: (row) => row.ledgerStatus ?? "-" },
    { header: "SUBNET", cell: (row) => row.subnet ?? "-" },
    { header: "RESULT", cell: (row) => row.result },
];

/** One line saying what the check found and what to do about it. */
export function checkSummary(report: CheckReport): string {
    const list = (names: readonly string[]) => names.join(", ");
    if (report.consistent) {
        return `slice "${report.slice}": consistent; all ${report.matched.length} expected clusters hold a subnet and no other cluster does.`;
    }
    const parts: string[] = [];
    if (report.missing.length > 0) {
        parts.push(
            `${report.missing.length} expected cluster(s) hold no active subnet (${list(report.missing)}): ` +
                `run \`pulumi up\` for the stack that declares their SubnetAllocations`,
        );
    }
    if (report.unexpected.length > 0) {
        parts.push(
            `${report.unexpected.length} cluster(s) hold a subnet but are not expected (${list(report.unexpected)}): ` +
                `remove their SubnetAllocations (they are released, then reclaimed after the grace period), ` +
                `or add them to the expected list`,
        );
    }
    return `slice "${report.slice}": mismatch; ${parts.join("; ")}.`;
}

// ---- savings --------------------------------------------------------------

/** Static pre-allocation (every subnet of the pool reserved up front) vs what dynamic IPAM holds. */
export interface SliceSavings {
    readonly name: string;
    readonly sliceSubnet: string;
    readonly subnetSize: number;
    readonly ipVersion: IpVersion;
    readonly addressesPerSubnet: number;
    /** Clusters holding an active subnet. */
    readonly clusters: number;
    /** Subnets held: active ones and Released ones still reserved. */
    readonly heldSubnets: number;
    /** What static IPAM reserves: every usable subnet of the pool (reserved subnets nobody holds are usable by neither). */
    readonly staticAddresses: number;
    /** What dynamic IPAM holds. */
    readonly dynamicAddresses: number;
    readonly savedAddresses: number;
    /** savedAddresses / staticAddresses, 0..1. */
    readonly savings: number;
    /** The address figures as exact text, only when one passes 2^53 (any IPv6 slice: a /64 alone has 2^64 addresses). */
    readonly exact?: ExactAddresses;
    /**
     * A dual-stack slice's IPv6 pool, the same figures for its family: static IPAM would reserve a
     * subnet of each family for every usable index, and each cluster holds one of each.
     */
    readonly ipv6Pool?: SliceSavings;
}

/** Address counts as exact decimal text. */
export interface ExactAddresses {
    readonly addressesPerSubnet?: string;
    readonly staticAddresses: string;
    readonly dynamicAddresses: string;
    readonly savedAddresses: string;
}

/** The savings of several slices of one IP version. */
export interface SavingsTotal extends SavingsFigures {
    readonly slices: number;
}

/** The figures every savings row has. */
interface SavingsFigures {
    readonly clusters: number;
    readonly staticAddresses: number;
    readonly dynamicAddresses: number;
    readonly savedAddresses: number;
    readonly savings: number;
    readonly exact?: ExactAddresses;
}

export interface SavingsReport {
    readonly slices: readonly SliceSavings[];
    /** The IPv4 slices: adding IPv6 addresses to them would drown them (one /64 is 2^64 addresses). */
    readonly total: SavingsTotal;
    /** The IPv6 slices, when there are any. */
    readonly totalIpv6?: SavingsTotal;
}

/** Address figures in bigint, so that an IPv6 slice's stay exact. */
interface AddressFigures {
    readonly perSubnet: bigint;
    readonly static: bigint;
    readonly dynamic: bigint;
}

export function savingsReport(ledgers: readonly SliceLedger[], now: Date): SavingsReport {
    const figuresOf = new Map<SliceSavings, AddressFigures>();
    const rowOf = (ledger: SliceLedger, figures: Capacity, sliceSubnet: string, subnetSize: number): SliceSavings => {
        const ipVersion = cidrFromString(sliceSubnet).version;
        const perSubnet = blockSize(ipVersion, subnetSize);
        const heldSubnets = figures.activeSubnets + figures.releasedSubnets;
        const addresses = { perSubnet, static: BigInt(figures.exact.usableSubnets) * perSubnet, dynamic: BigInt(heldSubnets) * perSubnet };
        const slice: SliceSavings = {
            name: ledger.spec.sliceName,
            sliceSubnet,
            subnetSize,
            ipVersion,
            addressesPerSubnet: Number(perSubnet),
            clusters: figures.activeSubnets,
            heldSubnets,
            ...addressFigures(addresses),
        };
        figuresOf.set(slice, addresses);
        return slice;
    };
    const slices = ledgers.map((ledger): SliceSavings => {
        const figures = capacity(ledger, now);
        const { sliceSubnet, subnetSize, sliceSubnetIpv6, subnetSizeIpv6 } = ledger.spec;
        const primary = rowOf(ledger, figures, sliceSubnet, subnetSize);
        if (sliceSubnetIpv6 === undefined || subnetSizeIpv6 === undefined) {
            return primary;
        }
        const withPool = { ...primary, ipv6Pool: rowOf(ledger, figures, sliceSubnetIpv6, subnetSizeIpv6) };
        figuresOf.set(withPool, figuresOf.get(primary)!);
        return withPool;
    });
    // Each family's rows: a dual-stack slice's IPv6 pool counts among the IPv6 ones.
    const rows = slices.flatMap((slice) => (slice.ipv6Pool === undefined ? [slice] : [slice, slice.ipv6Pool]));
    const totalOf = (version: IpVersion): SavingsTotal => {
        const members = rows.filter((slice) => slice.ipVersion === version);
        const sum = (pick: (figures: AddressFigures) => bigint) => members.reduce((total, slice) => total + pick(figuresOf.get(slice)!), 0n);
        const { exact, ...figures } = addressFigures({ static: sum((f) => f.static), dynamic: sum((f) => f.dynamic) });
        return {
            slices: members.length,
            clusters: members.reduce((total, slice) => total + slice.clusters, 0),
            ...figures,
            ...(exact === undefined ? {} : { exact }),
        };
    };
    const hasIpv6 = rows.some((slice) => slice.ipVersion === 6);
    return { slices, total: totalOf(4), ...(hasIpv6 ? { totalIpv6: totalOf(6) } : {}) };
}

function addressFigures(
    addresses: Omit<AddressFigures, "perSubnet"> & { perSubnet?: bigint },
): Pick<SliceSavings, "staticAddresses" | "dynamicAddresses" | "savedAddresses" | "savings" | "exact"> {
    const saved = addresses.static - addresses.dynamic;
    const exceeds = [addresses.perSubnet ?? 0n, addresses.static].some((count) => count > BigInt(Number.MAX_SAFE_INTEGER));
    return {
        staticAddresses: Number(addresses.static),
        dynamicAddresses: Number(addresses.dynamic),
        savedAddresses: Number(saved),
        // Each float64 is within 2^-53 of its bigint, so the ratio is too.
        savings: ratio(Number(saved), Number(addresses.static)),
        ...(exceeds
            ? {
                  exact: {
                      ...(addresses.perSubnet === undefined ? {} : { addressesPerSubnet: addresses.perSubnet.toString() }),
                      staticAddresses: addresses.static.toString(),
                      dynamicAddresses: addresses.dynamic.toString(),
                      savedAddresses: saved.toString(),
                  },
              }
            : {}),
    };
}

/** A savings row; a TOTAL row has no subnet size. */
export interface SavingsRow extends SavingsFigures {
    readonly name: string;
    readonly subnetSize?: number;
}

export function savingsRows(report: SavingsReport): SavingsRow[] {
    const totals: SavingsRow[] =
        report.totalIpv6 === undefined
            ? [{ name: "TOTAL", ...report.total }]
            : [...(report.total.slices > 0 ? [{ name: "TOTAL IPv4", ...report.total }] : []), { name: "TOTAL IPv6", ...report.totalIpv6 }];
    const slices = report.slices.flatMap((slice) =>
        slice.ipv6Pool === undefined ? [slice] : [slice, { ...slice.ipv6Pool, name: `${slice.name} IPv6` }],
    );
    return [...slices, ...totals];
}

/** An address count of a row, exact when it passes 2^53. */
function addressCell(figure: "staticAddresses" | "dynamicAddresses" | "savedAddresses") {
    return (row: SavingsRow) => thousands(row.exact === undefined ? row[figure] : BigInt(row.exact[figure]));
}

export const SAVINGS_COLUMNS: readonly Column<SavingsRow>[] = [
    { header: "NAME", cell: (row) => row.name },
    { header: "SUBNET SIZE", cell: (row) => (row.subnetSize === undefined ? "" : String(row.subnetSize)) },
    { header: "CLUSTERS", cell: (row) => String(row.clusters) },
    { header: "STATIC IPS", cell: addressCell("staticAddresses") },
    { header: "DYNAMIC IPS", cell: addressCell("dynamicAddresses") },
    { header: "SAVED IPS", cell: addressCell("savedAddresses") },
    { header: "SAVINGS", cell: (row) => percent(row.savings) },
];

function ratio(part: number, whole: number): number {
    return whole === 0 ? 0 : part / whole;
}
