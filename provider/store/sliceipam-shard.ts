import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { HistoryEvent } from "../core/history";
import { Allocation, duplicateClusterProblems, isActive, SliceLedger } from "../core/ledger";
import { decodeLedger, DecodeResult, encodeAllocation, encodeHistoryEvent, withPairedSubnets } from "./ledger-document";
import { RecentChanges, withRecentChanges } from "./sliceipam-recent";
import {
    ANNOTATION_COUNTERS,
    ANNOTATION_SETTINGS,
    LABEL_MANAGED_BY,
    MANAGED_BY,
    missingFromAnnotation,
    SliceIpamObject,
    SliceIpamStatus,
    StoredObjectMetadata,
    statusOf,
} from "./sliceipam-object";

/**
 * The sharded form of a ledger in the Kubernetes store, and back. Pure data
 * transformations (hashing aside): no client, no I/O. The design is described
 * in kubernetes-store.ts.
 */
export const SHARD_GROUP = "ipam.kubeslice-ipam.io";
export const SHARD_VERSION = "v1alpha1";
export const SHARD_PLURAL = "sliceipamshards";
export const SHARD_KIND = "SliceIpamShard";

/**
 * Subnet indexes per shard. 128 entries with 63-character cluster names are
 * ~25 KB: a changed shard costs about as much to write as a small slice,
 * while a slice of 24,000 entries needs only ~190 references in its head.
 */
export const SHARD_SPAN = 128;

/** Entries copied into `status.allocatedSubnets` for KubeSlice and kubectl; the shards hold them all. */
export const PROJECTION_LIMIT = 128;

/** The API server refuses objects whose annotations exceed 256 KiB in total; the shard list lives there. */
export const ANNOTATIONS_LIMIT_BYTES = 256 * 1024;

/** The authoritative settings and shard list of a sharded slice. */
export const ANNOTATION_LEDGER = "ipam.kubeslice-ipam.io/ledger";
/** On shards: the slice they belong to, for listing and sweeping. */
export const LABEL_SLICE = "ipam.kubeslice-ipam.io/slice";
/** On a shard: the head its commit was based on ({@link commitBasis}); what the orphan sweep judges it by. */
export const ANNOTATION_BASED_ON = "ipam.kubeslice-ipam.io/based-on";

/**
 * Written over the old settings annotation when a slice is sharded. Versions
 * that read allocations from `status` fail to parse it and refuse the slice,
 * instead of taking the bounded projection for the whole ledger and handing
 * out a subnet a cluster outside it still holds.
 */
export const SETTINGS_FENCE =
    "moved to ipam.kubeslice-ipam.io/ledger: this slice is sharded; kubeslice-ipam versions that keep allocations in status must not write it";

/**
 * The slice's history: its events as JSON, gzip-compressed and base64-encoded
 * (about 25 bytes an event), on the head, so that it is written by the head's
 * compare-and-swap with the change it records.
 */
export const ANNOTATION_HISTORY = "ipam.kubeslice-ipam.io/history";

/**
 * What the history may take of the head's 256 KiB annotation budget; beyond
 * it, the oldest events are dropped, whatever the configured bounds. The
 * default 1,000 events take 20-40 KiB.
 */
export const HISTORY_ANNOTATION_LIMIT_BYTES = 96 * 1024;

/** One shard as its head names it. */
export interface ShardRef {
    /** floor(index / span) of every entry in it. */
    readonly shard: number;
    /** Object name: `<slice>-<shard>-<nonce>`; a new name for every new content, never reused. */
    readonly name: string;
    /** sha256 (first 16 hex digits) of the entries, checked on every read. */
    readonly digest: string;
    readonly count: number;
}

/** Written by this version; format 2 (shards only, no recent changes) is still read. */
const LEDGER_FORMAT = 3;

interface LedgerAnnotation {
    /**
     * 3: with `recent` and `vacated` (sliceipam-recent.ts). Versions that
     * know format 2 only refuse a format 3 head ("unknown format") instead of
     * reading its shards without the recent changes.
     */
    format: 2 | 3;
    /**
     * Also in `spec`, where the CRD's schema defaults a removed value to 24 on
     * the server: kept here so that a removal is refused, not read as /24.
     * Absent from heads written by earlier releases: still read, and written on their next commit.
     */
    subnetSize?: number;
    gracePeriodSeconds: number;
    maxClusters: number;
    /** Absent when the slice reserves nothing, and in heads written before reserved ranges existed. */
    reservedRanges?: string[];
    /**
     * A dual-stack slice's IPv6 pool: here, not in `spec`, which keeps the
     * KubeSlice SliceIpam schema (one `sliceSubnet`). Absent from single-stack slices.
     */
    sliceSubnetIpv6?: string;
    subnetSizeIpv6?: number;
    registeredAt: string;
    span: number;
    /** Random per commit: tells a retried request of ours that had landed from another writer's identical change. */
    commit: string;
    /** `<shard>:<nonce>:<digest>:<count>`, in shard order: compact, since the annotation budget is the remaining limit. */
    shards: string[];
    /** Format 3: the entries that differ from the shards', encoded as in a shard, in index order. */
    recent?: unknown[];
    /** Format 3: indexes a shard holds an entry for that the ledger no longer has. */
    vacated?: unknown[];
}

export interface SliceIpamShardObject {
    apiVersion: string;
    kind: string;
    metadata: StoredObjectMetadata;
    spec: {
        sliceName: string;
        firstIndex: number;
        span: number;
        allocations: {
            clusterName: string;
            subnet: string;
            index: number;
            status: string;
            allocatedAt: string;
            releasedAt?: string;
        }[];
    };
}

/** The ledger's entries grouped by shard number, each group in index order. */
export function partition(allocations: readonly Allocation[]): Map<number, Allocation[]> {
    const shards = new Map<number, Allocation[]>();
    for (const entry of allocations) {
        const shard = Math.floor(entry.index / SHARD_SPAN);
        let group = shards.get(shard);
        if (group === undefined) {
            group = [];
            shards.set(shard, group);
        }
        group.push(entry);
    }
    return shards;
}

function plainEntries(entries: readonly Allocation[]): SliceIpamShardObject["spec"]["allocations"] {
    return entries.map(encodeAllocation);
}

export function digestOf(entries: readonly Allocation[]): string {
    return createHash("sha256")
        .update(JSON.stringify(plainEntries(entries)))
        .digest("hex")
        .slice(0, 16);
}

export function shardRef(sliceName: string, shard: number, nonce: string, entries: readonly Allocation[]): ShardRef {
    return { shard, name: `${sliceName}-${shard}-${nonce}`, digest: digestOf(entries), count: entries.length };
}

/**
 * The head a commit read, as recorded on the shards it creates: a digest of
 * the head's authoritative part ({@link fingerprintOf}, which holds the
 * commit's nonce, so no two commits share it), or {@link UNREGISTERED}.
 */
export function commitBasis(head: SliceIpamObject): string {
    return createHash("sha256").update(fingerprintOf(head)).digest("hex").slice(0, 32);
}

/** The basis of a registration's shards: no head existed. */
export const UNREGISTERED = "unregistered";

export function shardObject(
    namespace: string,
    sliceName: string,
    ref: ShardRef,
    entries: readonly Allocation[],
    basis: string,
): SliceIpamShardObject {
    return {
        apiVersion: `${SHARD_GROUP}/${SHARD_VERSION}`,
        kind: SHARD_KIND,
        metadata: {
            name: ref.name,
            namespace,
            labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SLICE]: sliceName },
            annotations: { [ANNOTATION_BASED_ON]: basis },
        },
        spec: { sliceName, firstIndex: ref.shard * SHARD_SPAN, span: SHARD_SPAN, allocations: plainEntries(entries) },
    };
}

/** What a head says about where its ledger is. */
export type HeadForm =
    | { readonly form: "legacy" }
    | {
          readonly form: "sharded";
          readonly refs: readonly ShardRef[];
          /** Undecoded entries (assembleLedger checks them) and vacated indexes. */
          readonly recent: { readonly entries: readonly unknown[]; readonly vacated: readonly number[] };
          readonly settings: Omit<LedgerAnnotation, "shards" | "format" | "span" | "commit">;
      }
    | { readonly form: "corrupt"; readonly problems: string[] };

export function headForm(object: SliceIpamObject): HeadForm {
    const text = object.metadata?.annotations?.[ANNOTATION_LEDGER];
    if (text === undefined) {
        return { form: "legacy" };
    }
    let parsed: Partial<LedgerAnnotation>;
    try {
        parsed = JSON.parse(String(text)) as Partial<LedgerAnnotation>;
    } catch (error) {
        return { form: "corrupt", problems: [`annotation ${ANNOTATION_LEDGER} is not valid JSON: ${(error as Error).message}`] };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return { form: "corrupt", problems: [`annotation ${ANNOTATION_LEDGER} is ${JSON.stringify(parsed)}, not an object`] };
    }
    if ((parsed.format !== 2 && parsed.format !== LEDGER_FORMAT) || parsed.span !== SHARD_SPAN || !Array.isArray(parsed.shards)) {
        return { form: "corrupt", problems: [`annotation ${ANNOTATION_LEDGER}: unknown format (format ${parsed.format}, span ${parsed.span})`] };
    }
    const recent = parsed.recent ?? [];
    const vacated = parsed.vacated ?? [];
    if (!Array.isArray(recent) || !Array.isArray(vacated) || (parsed.format === 2 && (recent.length > 0 || vacated.length > 0))) {
        return {
            form: "corrupt",
            problems: [`annotation ${ANNOTATION_LEDGER}: recent and vacated must be lists, and only in format ${LEDGER_FORMAT}`],
        };
    }
    const sliceName = object.metadata.name;
    const problems = missingFromAnnotation(ANNOTATION_LEDGER, parsed, ["gracePeriodSeconds", "maxClusters", "registeredAt"]);
    vacated.forEach((index, i) => {
        if (!Number.isSafeInteger(index) || (index as number) < 0 || (i > 0 && (index as number) <= (vacated[i - 1] as number))) {
            problems.push(`annotation ${ANNOTATION_LEDGER}: vacated index ${JSON.stringify(index)} is not a subnet index in ascending order`);
        }
    });
    const refs: ShardRef[] = [];
    for (const encoded of parsed.shards) {
        const match = /^(\d+):([0-9a-f]{1,32}):([0-9a-f]{16}):(\d+)$/.exec(String(encoded));
        if (match === null) {
            problems.push(`annotation ${ANNOTATION_LEDGER}: shard reference ${JSON.stringify(encoded)} is malformed`);
            continue;
        }
        const shard = Number(match[1]);
        if (refs.length > 0 && refs[refs.length - 1].shard >= shard) {
            problems.push(`annotation ${ANNOTATION_LEDGER}: shard ${shard} is out of order or repeated`);
        }
        refs.push({ shard, name: `${sliceName}-${shard}-${match[2]}`, digest: match[3], count: Number(match[4]) });
    }
    if (problems.length > 0) {
        return { form: "corrupt", problems };
    }
    return {
        form: "sharded",
        refs,
        recent: { entries: recent, vacated: vacated as number[] },
        settings: {
            subnetSize: parsed.subnetSize,
            gracePeriodSeconds: parsed.gracePeriodSeconds!,
            maxClusters: parsed.maxClusters!,
            ...(parsed.reservedRanges === undefined ? {} : { reservedRanges: parsed.reservedRanges }),
            ...ipv6PoolOfAnnotation(parsed),
            registeredAt: parsed.registeredAt!,
        },
    };
}

/** The IPv6 pool's two settings when either is there (decodeLedger refuses one without the other). */
function ipv6PoolOfAnnotation(
    settings: Pick<LedgerAnnotation, "sliceSubnetIpv6" | "subnetSizeIpv6">,
): Pick<LedgerAnnotation, "sliceSubnetIpv6" | "subnetSizeIpv6"> {
    return settings.sliceSubnetIpv6 === undefined && settings.subnetSizeIpv6 === undefined
        ? {}
        : { sliceSubnetIpv6: settings.sliceSubnetIpv6, subnetSizeIpv6: settings.subnetSizeIpv6 };
}

/** The head's authoritative annotations for `ledger` stored in `refs`. */
export function headAnnotations(ledger: SliceLedger, refs: readonly ShardRef[], commit: string, recent: RecentChanges): Record<string, string> {
    const annotation: LedgerAnnotation = {
        format: LEDGER_FORMAT,
        subnetSize: ledger.spec.subnetSize,
        gracePeriodSeconds: ledger.spec.gracePeriodSeconds,
        maxClusters: ledger.spec.maxClusters,
        ...(ledger.spec.reservedRanges === undefined ? {} : { reservedRanges: [...ledger.spec.reservedRanges] }),
        ...ipv6PoolOfAnnotation(ledger.spec),
        registeredAt: ledger.registeredAt,
        span: SHARD_SPAN,
        commit,
        shards: refs.map((ref) => `${ref.shard}:${ref.name.slice(ref.name.lastIndexOf("-") + 1)}:${ref.digest}:${ref.count}`),
        recent: recent.recent.map(encodeAllocation),
        vacated: [...recent.vacated],
    };
    return {
        [ANNOTATION_LEDGER]: JSON.stringify(annotation),
        [ANNOTATION_COUNTERS]: JSON.stringify(ledger.counters),
        [ANNOTATION_SETTINGS]: SETTINGS_FENCE,
        ...(ledger.history === undefined ? {} : { [ANNOTATION_HISTORY]: encodeHistory(ledger.history) }),
    };
}

/** The history annotation's value: the newest events that fit {@link HISTORY_ANNOTATION_LIMIT_BYTES}. */
export function encodeHistory(history: readonly HistoryEvent[]): string {
    const encode = (events: readonly HistoryEvent[]) => gzipSync(JSON.stringify(events.map(encodeHistoryEvent))).toString("base64");
    let kept = history;
    let text = encode(kept);
    while (text.length > HISTORY_ANNOTATION_LIMIT_BYTES && kept.length > 0) {
        // Proportionally fewer, with a margin: compression makes the size per event vary a little.
        kept = kept.slice(Math.max(1, kept.length - Math.floor((kept.length * HISTORY_ANNOTATION_LIMIT_BYTES * 0.95) / text.length)));
        text = encode(kept);
    }
    return text;
}

/** The events of a history annotation, undecoded (decodeLedger checks them), or why it cannot be read. */
export function historyOfAnnotation(text: string | undefined): { ok: true; events: unknown } | { ok: false; problem: string } {
    if (text === undefined) {
        return { ok: true, events: undefined };
    }
    try {
        return { ok: true, events: JSON.parse(gunzipSync(Buffer.from(text, "base64")).toString("utf8")) };
    } catch (error) {
        return { ok: false, problem: `annotation ${ANNOTATION_HISTORY} is not gzip-compressed JSON in base64: ${(error as Error).message}` };
    }
}

/**
 * What the ledger is, as far as one head says: a compare-and-swap that
 * finds the head changed only in what this returns unchanged may proceed.
 * For sharded heads the status is a projection and does not count; for
 * legacy heads it is the ledger.
 */
export function fingerprintOf(object: SliceIpamObject): string {
    const annotations = object.metadata?.annotations ?? {};
    const legacy = annotations[ANNOTATION_LEDGER] === undefined;
    return JSON.stringify([
        object.metadata?.name,
        annotations[ANNOTATION_LEDGER] ?? null,
        annotations[ANNOTATION_COUNTERS] ?? null,
        annotations[ANNOTATION_SETTINGS] ?? null,
        annotations[ANNOTATION_HISTORY] ?? null,
        legacy ? (object.status?.allocatedSubnets ?? null) : null,
    ]);
}

/** Bytes the head's annotations use, against the API server's 256 KiB budget. */
export function annotationBytes(annotations: Record<string, string> | undefined): number {
    let bytes = 0;
    for (const [key, value] of Object.entries(annotations ?? {})) {
        bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    return bytes;
}

/**
 * Checks a shard read from the API server (untrusted) against the reference
 * its head holds: same digest, entries in its index range and in order, and
 * each entry valid for the pool.
 */
export function decodeShard(object: SliceIpamShardObject, ref: ShardRef, ledgerSpec: SliceLedger["spec"]): DecodeResult {
    const problems: string[] = [];
    const entries = object.spec?.allocations;
    if (!Array.isArray(entries)) {
        return { ok: false, problems: ["spec.allocations is missing"] };
    }
    const decoded = decodeLedger({
        spec: ledgerSpec,
        registeredAt: new Date(0).toISOString(),
        allocations: entries,
        counters: {},
    });
    if (!decoded.ok) {
        return decoded;
    }
    const first = ref.shard * SHARD_SPAN;
    for (const entry of decoded.ledger.allocations) {
        if (entry.index < first || entry.index >= first + SHARD_SPAN) {
            problems.push(`cluster "${entry.clusterName}" has index ${entry.index}, outside this shard's ${first}..${first + SHARD_SPAN - 1}`);
        }
    }
    const digest = digestOf(decoded.ledger.allocations);
    if (digest !== ref.digest) {
        problems.push(`content digest ${digest} differs from ${ref.digest} recorded in the SliceIpam (edited by hand?)`);
    }
    return problems.length > 0 ? { ok: false, problems } : decoded;
}

/**
 * The ledger of a sharded head, from its settings, counters and the shards'
 * entries (each already checked by decodeShard). Cross-shard rule left to
 * check: one entry per cluster.
 */
export function assembleLedger(
    object: SliceIpamObject,
    settings: Extract<HeadForm, { form: "sharded" }>["settings"],
    shards: readonly (readonly Allocation[])[],
    recent: Extract<HeadForm, { form: "sharded" }>["recent"] = { entries: [], vacated: [] },
): DecodeResult {
    let counters: unknown;
    try {
        counters = JSON.parse(object.metadata.annotations?.[ANNOTATION_COUNTERS] ?? "{}");
    } catch (error) {
        return { ok: false, problems: [`annotation ${ANNOTATION_COUNTERS} is not valid JSON: ${(error as Error).message}`] };
    }
    if (settings.subnetSize !== undefined && settings.subnetSize !== object.spec?.subnetSize) {
        return {
            ok: false,
            problems: [
                `spec.subnetSize ${JSON.stringify(object.spec?.subnetSize)} differs from subnetSize ${settings.subnetSize} in annotation ` +
                    `${ANNOTATION_LEDGER} (removed or edited by hand? the CRD defaults a removed subnetSize to 24)`,
            ],
        };
    }
    const history = historyOfAnnotation(object.metadata.annotations?.[ANNOTATION_HISTORY]);
    if (!history.ok) {
        return { ok: false, problems: [history.problem] };
    }
    const base = decodeLedger({
        spec: {
            sliceName: object.spec?.sliceName,
            sliceSubnet: object.spec?.sliceSubnet,
            subnetSize: object.spec?.subnetSize,
            gracePeriodSeconds: settings.gracePeriodSeconds,
            maxClusters: settings.maxClusters,
            ...(settings.reservedRanges === undefined ? {} : { reservedRanges: settings.reservedRanges }),
            ...ipv6PoolOfAnnotation(settings),
        },
        registeredAt: settings.registeredAt,
        allocations: [],
        counters,
        ...(history.events === undefined ? {} : { history: history.events }),
    });
    if (!base.ok) {
        return base;
    }
    const changes = decodeLedger({ spec: base.ledger.spec, registeredAt: base.ledger.registeredAt, allocations: recent.entries, counters: {} });
    if (!changes.ok) {
        return { ok: false, problems: changes.problems.map((problem) => `annotation ${ANNOTATION_LEDGER}, recent entries: ${problem}`) };
    }
    const merged = withRecentChanges(shards.flat(), { recent: changes.ledger.allocations, vacated: recent.vacated });
    const problems = [
        ...merged.problems.map((problem) => `annotation ${ANNOTATION_LEDGER}: ${problem}`),
        ...duplicateClusterProblems(merged.entries),
    ];
    // Shards are kept decoded across reads while their digest holds, which the IPv6 pool's addition leaves as it was.
    return problems.length > 0 ? { ok: false, problems } : { ok: true, ledger: withPairedSubnets({ ...base.ledger, allocations: merged.entries }) };
}

/**
 * `status` of a sharded head: exact capacity figures, and the first
 * PROJECTION_LIMIT entries (active ones first, in index order) for the
 * KubeSlice controller and `kubectl`. The shards hold every entry.
 */
export function projectedStatus(ledger: SliceLedger, now: Date): SliceIpamStatus {
    const picked: Allocation[] = [];
    for (const wantActive of [true, false]) {
        for (const entry of ledger.allocations) {
            if (picked.length >= PROJECTION_LIMIT) {
                break;
            }
            if (isActive(entry) === wantActive) {
                picked.push(entry);
            }
        }
    }
    return statusOf(ledger, now, picked);
}
