import { z } from "zod";
import { LATENCY_BUCKETS_SECONDS } from "../core/counters";
import { HISTORY_ACTIONS, HistoryAction, HistoryEvent, HistoryStatus } from "../core/history";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { Allocation, ALLOCATION_STATUSES, ledgerProblems, SliceLedger, withPairedSubnet } from "../core/ledger";
import { slicePoolsOf } from "../core/slice-pools";
import { dnsLabelSchema, SLICE_SETTINGS, storedSliceSpecSchema } from "../core/validation";

/**
 * The persisted shape of a ledger, shared by every store. Documents are
 * decoded and checked where they enter, so a hand-edited or truncated file is
 * refused with its problems listed instead of producing duplicate subnets.
 */
const allocationSchema = z.object({
    clusterName: dnsLabelSchema("clusterName"),
    subnet: z.string(),
    index: z.number().int().nonnegative(),
    status: z.enum(ALLOCATION_STATUSES as [string, ...string[]]).transform((s) => s as (typeof ALLOCATION_STATUSES)[number]),
    allocatedAt: z.iso.datetime(),
    releasedAt: z.iso.datetime().optional(),
});

const historyStatus = z.enum(["Available", ...ALLOCATION_STATUSES] as [HistoryStatus, ...HistoryStatus[]]);
const historyText = z.string().max(1_024).optional();

/** One event of a slice's history; unknown fields are dropped, so a later version's extra detail does not make a ledger corrupt. */
export const historyEventSchema = z.object({
    at: z.iso.datetime(),
    action: z.enum(HISTORY_ACTIONS as [HistoryAction, ...HistoryAction[]]),
    clusterName: z.string().max(63).optional(),
    subnet: z.string().max(64).optional(),
    subnetIpv6: z.string().max(64).optional(),
    from: historyStatus.optional(),
    to: historyStatus.optional(),
    detail: historyText,
    actor: z.object({
        via: z.enum(["pulumi", "cli", "library"]),
        organization: historyText,
        project: historyText,
        stack: historyText,
        update: historyText,
        command: historyText,
        user: historyText,
        host: historyText,
    }),
});

const count = z.number().int().nonnegative().default(0);

const ledgerSchema = z.object({
    // No defaults: a stored ledger missing a setting is corrupt (a missing maxClusters must not become 4,096).
    spec: storedSliceSpecSchema,
    registeredAt: z.iso.datetime(),
    allocations: z.array(allocationSchema),
    // Every counter defaults to 0, so documents written before a counter existed still load.
    counters: z
        .object({
            conflicts: count,
            allocationsSucceeded: count,
            allocationsFailed: count,
            releases: count,
            reclaimed: count,
            allocationLatency: z
                .object({
                    bucketCounts: z
                        .array(z.number().int().nonnegative())
                        .length(LATENCY_BUCKETS_SECONDS.length)
                        .default(() => LATENCY_BUCKETS_SECONDS.map(() => 0)),
                    sum: z.number().nonnegative().default(0),
                    count,
                })
                .prefault({}),
        })
        .prefault({}),
    history: z.array(historyEventSchema).optional(),
});

export type DecodeResult = { readonly ok: true; readonly ledger: SliceLedger } | { readonly ok: false; readonly problems: string[] };

/** Checks an untrusted value (parsed JSON, a custom resource) and returns a ledger. */
export function decodeLedger(raw: unknown): DecodeResult {
    const parsed = ledgerSchema.safeParse(raw);
    if (!parsed.success) {
        const missing = missingSettings(raw);
        return {
            ok: false,
            problems: [
                ...missing.map((setting) => `spec.${setting}: ${missingSettingMessage(setting)}`),
                ...parsed.error.issues
                    .filter((issue) => !(issue.path[0] === "spec" && missing.includes(String(issue.path[1]))))
                    .map((issue) => `${issue.path.join(".") || "(document)"}: ${issue.message}`),
            ],
        };
    }
    const ledger = withPairedSubnets(parsed.data);
    const problems = ledgerProblems(ledger);
    return problems.length === 0 ? { ok: true, ledger } : { ok: false, problems };
}

/**
 * A dual-stack slice's entries with their IPv6 subnets, derived from their
 * indexes: entries are stored as in a single-stack slice (one subnet and the
 * index), so the shards' schema and digests, and ledgers written before the
 * IPv6 pool was added, stay as they were.
 */
export function withPairedSubnets(ledger: SliceLedger): SliceLedger {
    if (ledger.spec.sliceSubnetIpv6 === undefined || ledger.allocations.length === 0) {
        return ledger;
    }
    const pools = slicePoolsOf(ledger.spec);
    return { ...ledger, allocations: ledger.allocations.map((entry) => withPairedSubnet(pools, entry)) };
}

/** Settings absent from a stored spec (`raw.spec`). */
function missingSettings(raw: unknown): string[] {
    const spec = (raw as { spec?: unknown } | null)?.spec;
    if (spec === null || typeof spec !== "object") {
        return [];
    }
    return SLICE_SETTINGS.filter((setting) => (spec as Record<string, unknown>)[setting] === undefined);
}

/** Why a stored ledger missing `setting` is refused: the one wording, for every store. */
export function missingSettingMessage(setting: string): string {
    return `${setting} is missing; a stored ledger holds every setting and none is filled with a default (defaults apply to inputs only)`;
}

/** A ledger as plain JSON-ready data, keys in a stable order. */
export function encodeLedger(ledger: SliceLedger): Record<string, unknown> {
    return {
        spec: {
            sliceName: ledger.spec.sliceName,
            sliceSubnet: ledger.spec.sliceSubnet,
            subnetSize: ledger.spec.subnetSize,
            gracePeriodSeconds: ledger.spec.gracePeriodSeconds,
            maxClusters: ledger.spec.maxClusters,
            // Absent from a single-stack slice, stored as before dual-stack slices existed.
            ...(ledger.spec.sliceSubnetIpv6 === undefined
                ? {}
                : { sliceSubnetIpv6: ledger.spec.sliceSubnetIpv6, subnetSizeIpv6: ledger.spec.subnetSizeIpv6 }),
            // Omitted when empty: a slice reserving nothing is stored as before reserved ranges existed.
            ...(ledger.spec.reservedRanges === undefined || ledger.spec.reservedRanges.length === 0
                ? {}
                : { reservedRanges: [...ledger.spec.reservedRanges] }),
        },
        registeredAt: ledger.registeredAt,
        allocations: ledger.allocations.map(encodeAllocation),
        counters: {
            conflicts: ledger.counters.conflicts,
            allocationsSucceeded: ledger.counters.allocationsSucceeded,
            allocationsFailed: ledger.counters.allocationsFailed,
            releases: ledger.counters.releases,
            reclaimed: ledger.counters.reclaimed,
            allocationLatency: {
                bucketCounts: [...ledger.counters.allocationLatency.bucketCounts],
                sum: ledger.counters.allocationLatency.sum,
                count: ledger.counters.allocationLatency.count,
            },
        },
        ...(ledger.history === undefined ? {} : { history: ledger.history.map(encodeHistoryEvent) }),
    };
}

/** One history event as plain JSON-ready data: keys in a stable order, absent ones left out. */
export function encodeHistoryEvent(event: HistoryEvent): Record<string, unknown> {
    const { at, action, clusterName, subnet, subnetIpv6, from, to, detail, actor } = event;
    const { via, organization, project, stack, update, command, user, host } = actor;
    return withoutUndefined({
        at,
        action,
        clusterName,
        subnet,
        subnetIpv6,
        from,
        to,
        detail,
        actor: withoutUndefined({ via, organization, project, stack, update, command, user, host }),
    });
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** One allocation as plain JSON-ready data, keys in a stable order; a dual-stack entry's IPv6 subnet is derived on reading, not stored. */
export function encodeAllocation(entry: Allocation) {
    return {
        clusterName: entry.clusterName,
        subnet: entry.subnet,
        index: entry.index,
        status: entry.status,
        allocatedAt: entry.allocatedAt,
        ...(entry.releasedAt === undefined ? {} : { releasedAt: entry.releasedAt }),
    };
}

/** A stored document that cannot be trusted. Never reset or overwritten by us. */
export class CorruptLedgerError extends KubesliceIpamError {
    constructor(
        readonly location: string,
        readonly problems: readonly string[],
    ) {
        super(
            "corrupt-ledger",
            `${location} is not a valid slice ledger and was left untouched:\n` +
                problems.map((problem) => `  - ${problem}`).join("\n") +
                `\nRestore it from a backup or correct it by hand; kubeslice-ipam will not overwrite it.`,
        );
        this.name = "CorruptLedgerError";
    }
}
