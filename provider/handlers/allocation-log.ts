import type { AllocateValue, Capacity } from "../core/ledger";
import { capacity } from "../core/ledger";
import type { LedgerStore } from "../store/ledger-store";

/**
 * The design guide's structured allocation logs, written through Pulumi's
 * log API: a message followed by its fields as JSON, e.g.
 * `Allocated subnet for cluster {"slice":"blue","cluster":"worker-1","subnet":"10.2.0.0/24","duration_ms":5.2}`.
 * The engine shows them with the deployment's diagnostics (or, when the
 * provider host cannot reach the engine, as the plugin's output).
 */
export const LOG_MESSAGES = {
    allocated: "Allocated subnet for cluster",
    reused: "Reused existing subnet for cluster",
    exhaustion: "Subnet pool approaching exhaustion",
} as const;

/** Utilization levels that warn when an allocation crosses them: 80 %, then again at 90 %. */
export const EXHAUSTION_THRESHOLDS: readonly number[] = [0.8, 0.9];

export interface LogEntry {
    readonly level: "info" | "warn";
    readonly message: string;
    readonly fields: Readonly<Record<string, string | number>>;
}

/** The text written to the log: the message, a space, the fields as one line of JSON. */
export function formatLogEntry(entry: LogEntry): string {
    return `${entry.message} ${JSON.stringify(entry.fields)}`;
}

/** What to log for an allocation; nothing when an existing allocation was adopted (nothing was allocated). */
export function allocationLogEntry(
    sliceName: string,
    clusterName: string,
    allocated: AllocateValue,
    durationMs: number,
): LogEntry | undefined {
    const base = { slice: sliceName, cluster: clusterName, subnet: allocated.allocation.subnet };
    switch (allocated.outcome) {
        case "allocated":
            return { level: "info", message: LOG_MESSAGES.allocated, fields: { ...base, duration_ms: round(durationMs, 1) } };
        case "reused":
            return {
                level: "info",
                message: LOG_MESSAGES.reused,
                fields: { ...base, previously_released_at: allocated.previouslyReleasedAt ?? "" },
            };
        default:
            return undefined;
    }
}

/** How many exhaustion thresholds `utilization` has reached: 0, 1 (80 %) or 2 (90 %). */
export function exhaustionLevel(utilization: number): number {
    return EXHAUSTION_THRESHOLDS.filter((threshold) => utilization >= threshold).length;
}

export function exhaustionLogEntry(sliceName: string, figures: Capacity): LogEntry {
    return {
        level: "warn",
        message: LOG_MESSAGES.exhaustion,
        fields: {
            slice: sliceName,
            available: figures.availableSubnets,
            total: figures.totalSubnets,
            utilization: round(figures.utilization, 4),
        },
    };
}

export interface AllocationLogOptions {
    /** Where entries go; Pulumi's log API by default. */
    readonly log?: (entry: LogEntry) => void;
    readonly clock?: () => Date;
}

/**
 * Runs one allocation and logs it: the allocation itself, and a warning when
 * the slice's utilization reaches a threshold it had not reached before.
 *
 * "Before" is per provider process (one `pulumi up`): the first allocation
 * of a slice reads the slice's level first, and every later one compares
 * against the highest level this process has seen. Comparing each
 * allocation's "after" with "after minus one" would not do: Pulumi creates
 * allocations in parallel and the store commits them in batches, so every
 * member of a batch reads the same ledger afterwards and either all of them
 * or none would warn. So each threshold warns once per slice and deployment,
 * by the first allocation to see it crossed.
 *
 * Reading the ledger again costs a file read or an API request, so it is
 * done only once this process's own count (the last figures read plus its
 * allocations since) reaches the next threshold. Allocations by other
 * writers can make the real crossing come earlier; their own processes warn
 * for it, and this one does when its count gets there.
 *
 * Logging never fails an allocation: a failed read only costs the warning.
 */
export async function withAllocationLog(
    store: LedgerStore,
    sliceName: string,
    clusterName: string,
    allocate: (store: LedgerStore) => Promise<AllocateValue>,
    options: AllocationLogOptions = {},
): Promise<AllocateValue> {
    const log = options.log ?? logToPulumi;
    const clock = options.clock ?? (() => new Date());
    const watch = exhaustionWatch(store, sliceName, clock);
    await watch.ready;
    const started = performance.now();
    const allocated = await allocate(store);
    const entry = allocationLogEntry(sliceName, clusterName, allocated, performance.now() - started);
    if (entry === undefined) {
        return allocated;
    }
    log(entry);
    watch.allocatedSinceRead++;
    if (!mayHaveCrossed(watch)) {
        return allocated;
    }
    try {
        const loaded = await store.load(sliceName);
        if (loaded !== undefined) {
            const figures = capacity(loaded.ledger, clock());
            remember(watch, figures);
            const level = exhaustionLevel(figures.utilization);
            if (level > watch.level) {
                watch.level = level;
                log(exhaustionLogEntry(sliceName, figures));
            }
        }
    } catch {
        // The allocation is committed; without the figures there is nothing to warn about.
    }
    return allocated;
}

interface ExhaustionWatch {
    /** The highest exhaustion level seen in this process. */
    level: number;
    /** Figures of the last read, if any. */
    figures?: { readonly active: number; readonly total: number };
    /** Allocations this process made since that read. */
    allocatedSinceRead: number;
    /** Settles once the level before this process's first allocation is known. */
    readonly ready: Promise<void>;
}

/** True when this process's own count reaches the next threshold (or nothing is known yet). */
function mayHaveCrossed(watch: ExhaustionWatch): boolean {
    const next = EXHAUSTION_THRESHOLDS[watch.level];
    if (next === undefined) {
        return false; // every threshold already warned
    }
    if (watch.figures === undefined) {
        return true;
    }
    return (watch.figures.active + watch.allocatedSinceRead) / watch.figures.total >= next;
}

function remember(watch: ExhaustionWatch, figures: Capacity): void {
    watch.figures = { active: figures.activeSubnets, total: figures.totalSubnets };
    watch.allocatedSinceRead = 0;
}

// Process-wide, found through a global symbol at call time (as the commit
// queues are), so the serialized provider objects capture nothing.
const WATCHES_KEY = Symbol.for("kubeslice-ipam.exhaustion-watches");

function exhaustionWatch(store: LedgerStore, sliceName: string, clock: () => Date): ExhaustionWatch {
    const registry = globalThis as unknown as Record<symbol, Map<string, ExhaustionWatch> | undefined>;
    const watches = (registry[WATCHES_KEY] ??= new Map<string, ExhaustionWatch>());
    const key = `${store.key}\u0000${sliceName}`;
    let watch = watches.get(key);
    if (watch === undefined) {
        const created: ExhaustionWatch = {
            level: 0,
            allocatedSinceRead: 0,
            ready: store.load(sliceName).then(
                (loaded) => {
                    if (loaded !== undefined) {
                        const figures = capacity(loaded.ledger, clock());
                        remember(created, figures);
                        created.level = exhaustionLevel(figures.utilization);
                    }
                },
                () => undefined, // the allocation will report the store's problem
            ),
        };
        watch = created;
        watches.set(key, watch);
    }
    return watch;
}

function logToPulumi(entry: LogEntry): void {
    // Loaded here, not at module load: the handlers module must stay cheap to load.
    const { log } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const text = formatLogEntry(entry);
    void (entry.level === "warn" ? log.warn(text) : log.info(text));
}

function round(value: number, decimals: number): number {
    const factor = 10 ** decimals;
    return Math.round(value * factor) / factor;
}
