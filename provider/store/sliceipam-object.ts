import { Allocation, capacity, LedgerCounters, poolOf, SliceLedger } from "../core/ledger";
import { indexOfSubnet, jsonCount } from "../core/pool";
import { decodeLedger, DecodeResult, missingSettingMessage } from "./ledger-document";

/**
 * A ledger as a KubeSlice `SliceIpam` custom resource and back. Pure
 * functions: no client, no I/O.
 *
 * The object stays a valid SliceIpam for the KubeSlice controller: spec holds
 * the pool, status the allocations and capacity exactly as the CRD defines
 * them. What the CRD has no field for (grace period, cluster limit,
 * registration time, counters) lives in annotations.
 *
 * This is the single-object form of kubeslice-ipam 0.1, still read (and
 * converted on the first write) by the Kubernetes store; slices are now
 * written in the sharded form of sliceipam-shard.ts, whose head keeps this
 * shape with a bounded status.
 */
export const SLICE_IPAM_GROUP = "controller.kubeslice.io";
export const SLICE_IPAM_VERSION = "v1alpha1";
export const SLICE_IPAM_PLURAL = "sliceipams";
export const SLICE_IPAM_KIND = "SliceIpam";

export const ANNOTATION_SETTINGS = "ipam.kubeslice-ipam.io/settings";
export const ANNOTATION_COUNTERS = "ipam.kubeslice-ipam.io/counters";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "kubeslice-ipam";

/** The metadata the store reads and writes, on the SliceIpam and on each of its shards. */
export interface StoredObjectMetadata {
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
}

export interface SliceIpamObject {
    apiVersion: string;
    kind: string;
    metadata: StoredObjectMetadata;
    spec: { sliceName: string; sliceSubnet: string; subnetSize: number };
    status?: SliceIpamStatus;
}

export interface SliceIpamStatus {
    allocatedSubnets: {
        clusterName: string;
        subnet: string;
        allocatedAt: string;
        status: string;
        releasedAt?: string;
    }[];
    availableSubnets: number;
    /** Absent when past `Number.MAX_SAFE_INTEGER`: `totalSubnetsExact` holds it then. */
    totalSubnets?: number;
    /** kubeslice-ipam's addition to the CRD: the total as exact text, for pools whose size a JSON number cannot carry. */
    totalSubnetsExact?: string;
    lastUpdated: string;
}

/** The settings annotation: what SliceIpam's spec has no field for. */
interface SettingsAnnotation {
    gracePeriodSeconds: number;
    maxClusters: number;
    registeredAt: string;
}

/** The object for a new registration (status is written separately: create ignores it). */
export function sliceIpamObject(ledger: SliceLedger, namespace: string): SliceIpamObject {
    return {
        apiVersion: `${SLICE_IPAM_GROUP}/${SLICE_IPAM_VERSION}`,
        kind: SLICE_IPAM_KIND,
        metadata: {
            name: ledger.spec.sliceName,
            namespace,
            labels: { [LABEL_MANAGED_BY]: MANAGED_BY },
            annotations: annotationsOf(ledger),
        },
        spec: { sliceName: ledger.spec.sliceName, sliceSubnet: ledger.spec.sliceSubnet, subnetSize: ledger.spec.subnetSize },
    };
}

export function annotationsOf(ledger: SliceLedger): Record<string, string> {
    const settings: SettingsAnnotation = {
        gracePeriodSeconds: ledger.spec.gracePeriodSeconds,
        maxClusters: ledger.spec.maxClusters,
        registeredAt: ledger.registeredAt,
    };
    return { [ANNOTATION_SETTINGS]: JSON.stringify(settings), [ANNOTATION_COUNTERS]: JSON.stringify(ledger.counters) };
}

/** The status the CRD defines, with capacity as of `now`, listing `entries` (default: all). */
export function statusOf(ledger: SliceLedger, now: Date, entries: readonly Allocation[] = ledger.allocations): SliceIpamStatus {
    const figures = capacity(ledger, now);
    return {
        allocatedSubnets: entries.map((entry) => ({
            clusterName: entry.clusterName,
            subnet: entry.subnet,
            allocatedAt: entry.allocatedAt,
            status: entry.status,
            ...(entry.releasedAt === undefined ? {} : { releasedAt: entry.releasedAt }),
        })),
        availableSubnets: figures.availableSubnets,
        ...totalOf(figures.exact.totalSubnets),
        lastUpdated: now.toISOString(),
    };
}

/** The status's total: the CRD's integer while a JSON number is exact, else kubeslice-ipam's text field. */
function totalOf(exact: string): Pick<SliceIpamStatus, "totalSubnets" | "totalSubnetsExact"> {
    const total = jsonCount(BigInt(exact));
    return typeof total === "number" ? { totalSubnets: total } : { totalSubnetsExact: total };
}

/** Reads a ledger out of an object read from the API server; untrusted input. */
export function ledgerOf(object: SliceIpamObject): DecodeResult {
    const annotations = object.metadata?.annotations ?? {};
    const problems: string[] = [];
    const settings = parseAnnotation<Partial<SettingsAnnotation>>(annotations, ANNOTATION_SETTINGS, problems) ?? {};
    const counters = parseAnnotation<Partial<LedgerCounters>>(annotations, ANNOTATION_COUNTERS, problems);
    problems.push(...missingFromAnnotation(ANNOTATION_SETTINGS, settings, ["gracePeriodSeconds", "maxClusters"]));
    if (problems.length > 0) {
        return { ok: false, problems };
    }
    const spec = {
        sliceName: object.spec?.sliceName,
        sliceSubnet: object.spec?.sliceSubnet,
        subnetSize: object.spec?.subnetSize,
        gracePeriodSeconds: settings.gracePeriodSeconds,
        maxClusters: settings.maxClusters,
    };
    const withIndexes = withPoolIndexes(spec, object.status?.allocatedSubnets ?? []);
    if (!withIndexes.ok) {
        return withIndexes;
    }
    return decodeLedger({
        spec,
        registeredAt: settings.registeredAt ?? object.metadata?.creationTimestamp,
        allocations: withIndexes.allocations,
        counters: counters ?? undefined,
    });
}

/** A stored annotation's settings that are absent: refused, never defaulted. */
export function missingFromAnnotation(key: string, parsed: object, settings: readonly string[]): string[] {
    return settings
        .filter((setting) => (parsed as Record<string, unknown>)[setting] === undefined)
        .map((setting) => `annotation ${key}: ${missingSettingMessage(setting)}`);
}

function parseAnnotation<T>(annotations: Record<string, string>, key: string, problems: string[]): T | undefined {
    const text = annotations[key];
    if (text === undefined) {
        return undefined;
    }
    try {
        return JSON.parse(text) as T;
    } catch (error) {
        problems.push(`annotation ${key} is not valid JSON: ${(error as Error).message}`);
        return undefined;
    }
}

// The CRD stores no index; it is where the subnet sits in the pool. Entries
// are kept in index order, as the ledger requires.
function withPoolIndexes(
    spec: { sliceSubnet?: unknown; subnetSize?: unknown },
    entries: SliceIpamStatus["allocatedSubnets"],
): { ok: true; allocations: Record<string, unknown>[] } | { ok: false; problems: string[] } {
    if (entries.length === 0) {
        return { ok: true, allocations: [] };
    }
    let pool;
    try {
        pool = poolOf({ sliceSubnet: String(spec.sliceSubnet), subnetSize: Number(spec.subnetSize) });
    } catch {
        return { ok: false, problems: [`spec.sliceSubnet ${JSON.stringify(spec.sliceSubnet)} is not a valid pool`] };
    }
    const problems: string[] = [];
    const allocations = entries.map((entry) => {
        const found = indexOfSubnet(pool, String(entry.subnet));
        if (!found.ok) {
            problems.push(`status.allocatedSubnets: subnet ${entry.subnet} of cluster "${entry.clusterName}" is not in the pool`);
        }
        return { ...entry, index: found.ok ? found.index : -1 };
    });
    allocations.sort((a, b) => a.index - b.index);
    return problems.length > 0 ? { ok: false, problems } : { ok: true, allocations };
}
