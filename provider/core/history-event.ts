/** What happened to a slice or one of its subnets: see history.ts for how events arise. */
export type HistoryAction =
    "registered" | "settings-changed" | "allocated" | "reused" | "in-use" | "usage-reset" | "released" | "reclaimed" | "reclaimed-early" | "removed";

export const HISTORY_ACTIONS: readonly HistoryAction[] = [
    "registered",
    "settings-changed",
    "allocated",
    "reused",
    "in-use",
    "usage-reset",
    "released",
    "reclaimed",
    "reclaimed-early",
    "removed",
];

/** A status in an event: a stored one (ledger.ts's AllocationStatus), or `Available` for an index with no entry. */
export type HistoryStatus = "Allocated" | "InUse" | "Released" | "Available";

/**
 * Who made a change, as far as it can be known where the change ran: the
 * Pulumi engine gives a dynamic provider its project only, the native
 * provider also its stack; the CLI names its command.
 */
export interface HistoryActor {
    readonly via: "pulumi" | "cli" | "library";
    readonly organization?: string;
    readonly project?: string;
    readonly stack?: string;
    readonly update?: string;
    /** For the CLI: the command line's verb and its arguments, e.g. `reclaim blue --cluster c --now`. */
    readonly command?: string;
    readonly user?: string;
    readonly host?: string;
}

export interface HistoryEvent {
    /** ISO-8601 UTC. */
    readonly at: string;
    readonly action: HistoryAction;
    readonly clusterName?: string;
    readonly subnet?: string;
    /**
     * A dual-stack slice's IPv6 subnet at the same index as `subnet`. Entries
     * derive it from their index; an event has no index, so it keeps it.
     */
    readonly subnetIpv6?: string;
    readonly from?: HistoryStatus;
    readonly to?: HistoryStatus;
    /** What else a reader needs: a pin, a changed setting's old and new value. */
    readonly detail?: string;
    readonly actor: HistoryActor;
}

/** How much history a slice keeps: the newest `maxEvents`, none older than `maxAgeSeconds`. */
export interface HistoryBounds {
    readonly maxEvents: number;
    readonly maxAgeSeconds: number;
}

export const DEFAULT_HISTORY_BOUNDS: HistoryBounds = { maxEvents: 1_000, maxAgeSeconds: 90 * 86_400 };
