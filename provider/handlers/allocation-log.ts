import type { AllocateValue, Capacity } from "../core/ledger";
import { jsonCount } from "../core/pool";
import { infoToPulumi, warnToPulumi } from "./pulumi-log";

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
export function allocationLogEntry(sliceName: string, clusterName: string, allocated: AllocateValue, durationMs: number): LogEntry | undefined {
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
            total: jsonCount(BigInt(figures.exact.totalSubnets)),
            utilization: round(figures.utilization, 4),
        },
    };
}

/**
 * The warning for an allocation whose change took the slice's utilization
 * across a threshold, if it did. Each change of a group commit reports the
 * capacity of exactly the ledger before it, so one allocation, and only one,
 * warns per crossing, however many are committed together.
 */
export function exhaustionWarning(sliceName: string, allocated: AllocateValue): LogEntry | undefined {
    const change = allocated.capacity;
    if (change === undefined || exhaustionLevel(change.after.utilization) <= exhaustionLevel(change.before.utilization)) {
        return undefined;
    }
    return exhaustionLogEntry(sliceName, change.after);
}

export interface AllocationLogOptions {
    /** Where entries go; Pulumi's log API by default. */
    readonly log?: (entry: LogEntry) => void;
}

/**
 * Runs one allocation and logs it: the allocation itself, and a warning when
 * its change took the slice's utilization across a threshold. Logging never
 * fails an allocation, and costs no store reads of its own.
 */
export async function withAllocationLog(
    sliceName: string,
    clusterName: string,
    allocate: () => Promise<AllocateValue>,
    options: AllocationLogOptions = {},
): Promise<AllocateValue> {
    const log = options.log ?? logToPulumi;
    const started = performance.now();
    const allocated = await allocate();
    const entry = allocationLogEntry(sliceName, clusterName, allocated, performance.now() - started);
    if (entry !== undefined) {
        log(entry);
    }
    const warning = exhaustionWarning(sliceName, allocated);
    if (warning !== undefined) {
        log(warning);
    }
    return allocated;
}

function logToPulumi(entry: LogEntry): void {
    const text = formatLogEntry(entry);
    (entry.level === "warn" ? warnToPulumi : infoToPulumi)(text);
}

function round(value: number, decimals: number): number {
    const factor = 10 ** decimals;
    return Math.round(value * factor) / factor;
}
