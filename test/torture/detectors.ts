/**
 * What the torture suite checks after every scenario, as pure functions of
 * the final ledger and the workers' journals of acknowledged operations. The
 * slices run with a 24 h grace period, so no subnet is ever reclaimed during
 * a run: a cluster's subnet never changes, and no two clusters ever share one.
 */
export interface JournalEntry {
    readonly op: "allocate" | "release" | "read";
    readonly cluster: string;
    readonly subnet?: string;
    readonly index?: number;
    /** The operation was about to be called: not an acknowledgement. */
    readonly started?: boolean;
    /** Set when the operation failed (nothing acknowledged). */
    readonly error?: string;
    readonly message?: string;
    /** A read: whether the reader's own lane had an acknowledged allocation of the cluster, and whether it was found. */
    readonly expected?: boolean;
    readonly found?: boolean;
    /** An acknowledged write: how long it took, from the call to its acknowledgement. */
    readonly ms?: number;
}

export interface StoredEntry {
    readonly clusterName: string;
    readonly subnet: string;
    readonly index: number;
    readonly status: string;
}

export interface Violation {
    readonly detector: string;
    readonly detail: string;
}

/** Journal lines in order; a line torn by `kill -9` is the last one and is skipped. */
export function parseJournal(text: string): JournalEntry[] {
    return text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .flatMap((line) => {
            try {
                return [JSON.parse(line) as JournalEntry];
            } catch {
                return [];
            }
        });
}

/** No subnet (or pool index) is held by two entries: Released entries keep theirs reserved. */
export function duplicateSubnets(entries: readonly StoredEntry[]): Violation[] {
    const violations: Violation[] = [];
    const bySubnet = new Map<string, string>();
    const byIndex = new Map<number, string>();
    for (const entry of entries) {
        const subnetHolder = bySubnet.get(entry.subnet);
        const indexHolder = byIndex.get(entry.index);
        if (subnetHolder !== undefined || indexHolder !== undefined) {
            violations.push({
                detector: "duplicate-subnet",
                detail: `${entry.subnet} (index ${entry.index}) held by ${entry.clusterName} and ${subnetHolder ?? indexHolder}`,
            });
        }
        bySubnet.set(entry.subnet, entry.clusterName);
        byIndex.set(entry.index, entry.clusterName);
    }
    return violations;
}

/**
 * Every acknowledged operation is still reflected: a cluster whose last
 * acknowledged operation allocated subnet S holds S and is active; one whose
 * last was a release holds its subnet Released.
 */
export function lostAcknowledgements(journal: readonly JournalEntry[], entries: readonly StoredEntry[]): Violation[] {
    const last = new Map<string, JournalEntry>();
    const subnetOf = new Map<string, string>();
    // An operation started after the last acknowledgement and never acknowledged (its process was killed): it may
    // or may not have been written, so both outcomes are correct; the subnet must still be the cluster's own.
    const pending = new Set<string>();
    for (const entry of journal.filter((line) => line.op !== "read")) {
        if (entry.started === true) {
            pending.add(entry.cluster);
        } else {
            pending.delete(entry.cluster);
        }
        if (entry.error === undefined && entry.started !== true) {
            last.set(entry.cluster, entry);
            if (entry.op === "allocate" && entry.subnet !== undefined) {
                subnetOf.set(entry.cluster, entry.subnet);
            }
        }
    }
    const stored = new Map(entries.map((entry) => [entry.clusterName, entry]));
    const violations: Violation[] = [];
    const describe = (held: StoredEntry | undefined) => (held === undefined ? "nothing" : `${held.subnet} ${held.status}`);
    for (const [cluster, entry] of last) {
        const held = stored.get(cluster);
        const acknowledgedSubnet = subnetOf.get(cluster);
        if (pending.has(cluster)) {
            if (acknowledgedSubnet !== undefined && held?.subnet !== acknowledgedSubnet) {
                violations.push({
                    detector: "lost-acknowledgement",
                    detail: `${cluster} was acknowledged ${acknowledgedSubnet}; the ledger has ${describe(held)}`,
                });
            }
        } else if (entry.op === "allocate") {
            if (held === undefined || held.subnet !== entry.subnet || held.status === "Released") {
                violations.push({
                    detector: "lost-acknowledgement",
                    detail: `${cluster} was acknowledged ${entry.subnet}; the ledger has ${describe(held)}`,
                });
            }
        } else if (acknowledgedSubnet !== undefined && (held === undefined || held.status !== "Released" || held.subnet !== acknowledgedSubnet)) {
            violations.push({
                detector: "lost-acknowledgement",
                detail: `${cluster} was acknowledged released from ${acknowledgedSubnet}; the ledger has ${describe(held)}`,
            });
        }
    }
    return violations;
}

/** A cluster is never acknowledged two different subnets, and no two clusters one subnet. */
export function inconsistentAcknowledgements(journal: readonly JournalEntry[]): Violation[] {
    const subnetOf = new Map<string, string>();
    const clusterOf = new Map<string, string>();
    const violations: Violation[] = [];
    for (const entry of journal) {
        if (entry.error !== undefined || entry.started === true || entry.op !== "allocate" || entry.subnet === undefined) {
            continue;
        }
        const before = subnetOf.get(entry.cluster);
        if (before !== undefined && before !== entry.subnet) {
            violations.push({ detector: "moved-subnet", detail: `${entry.cluster} was acknowledged ${before}, later ${entry.subnet}` });
        }
        const holder = clusterOf.get(entry.subnet);
        if (holder !== undefined && holder !== entry.cluster) {
            violations.push({ detector: "subnet-handed-twice", detail: `${entry.subnet} was acknowledged to ${holder} and ${entry.cluster}` });
        }
        subnetOf.set(entry.cluster, entry.subnet);
        clusterOf.set(entry.subnet, entry.cluster);
    }
    return violations;
}

/** Operations that failed because other writers kept winning: a user must never see one. */
export function giveUps(journal: readonly JournalEntry[]): Violation[] {
    return journal
        .filter((entry) => entry.error === "LedgerConflictError")
        .map((entry) => ({ detector: "give-up", detail: `${entry.op} ${entry.cluster}: ${entry.message}` }));
}

/**
 * A read (what a provider's `read`, i.e. `pulumi refresh`, does) that did not
 * find a cluster its own lane had been acknowledged: refresh would drop the
 * resource from the stack. Subnets are never reclaimed during a run.
 */
export function missedReads(journal: readonly JournalEntry[]): Violation[] {
    return journal
        .filter((entry) => entry.op === "read" && entry.error === undefined && entry.expected === true && entry.found !== true)
        .map((entry) => ({ detector: "missed-read", detail: `read of ${entry.cluster} found nothing after its allocation was acknowledged` }));
}

/** The part of a history event the replay needs. */
export interface StoredEvent {
    readonly action: string;
    readonly clusterName?: string;
    readonly subnet?: string;
    readonly from?: string;
    readonly to?: string;
}

/**
 * The history and the allocations were written together: replaying the
 * history from the slice's registration gives exactly the stored
 * allocations, and every event starts from the state the ones before left. An
 * event without its change, or a change without its event, breaks one of the
 * two. A history trimmed to its bounds (it does not start with the
 * registration) is checked for what it still holds: each cluster's events
 * from its first one kept, and the final state of the clusters it names.
 */
export function historyMismatches(entries: readonly StoredEntry[], history: readonly StoredEvent[]): Violation[] {
    const violations: Violation[] = [];
    const complete = history[0]?.action === "registered";
    const state = new Map<string, { subnet?: string; status?: string }>();
    const seen = new Set<string>();
    history.forEach((event, position) => {
        if (event.action === "registered") {
            state.clear();
        }
        if (event.clusterName === undefined) {
            return;
        }
        const firstKept = !complete && !seen.has(event.clusterName);
        seen.add(event.clusterName);
        const before = state.get(event.clusterName)?.status ?? "Available";
        if (!firstKept && before !== event.from) {
            violations.push({
                detector: "history-mismatch",
                detail: `event ${position} (${event.action} ${event.clusterName}) starts from ${event.from}, but the events before leave ${before}`,
            });
        }
        if (event.to === "Available") {
            state.delete(event.clusterName);
        } else {
            state.set(event.clusterName, { subnet: event.subnet, status: event.to });
        }
    });
    const stored = new Map(entries.map((entry) => [entry.clusterName, entry]));
    for (const [cluster, replayed] of state) {
        const entry = stored.get(cluster);
        if (entry === undefined || entry.subnet !== replayed.subnet || entry.status !== replayed.status) {
            const held = entry === undefined ? "nothing" : `${entry.subnet} ${entry.status}`;
            violations.push({
                detector: "history-mismatch",
                detail: `history says ${cluster} holds ${replayed.subnet} ${replayed.status}; the ledger: ${held}`,
            });
        }
    }
    for (const entry of entries) {
        if (!state.has(entry.clusterName) && (complete || seen.has(entry.clusterName))) {
            violations.push({
                detector: "history-mismatch",
                detail: `${entry.clusterName} holds ${entry.subnet} ${entry.status} with no event that gave it`,
            });
        }
    }
    return violations;
}

/** Every detector over one slice's final ledger (its history too, where given) and its journals. */
export function allViolations(journal: readonly JournalEntry[], entries: readonly StoredEntry[], history?: readonly StoredEvent[]): Violation[] {
    return [
        ...(history === undefined ? [] : historyMismatches(entries, history)),
        ...duplicateSubnets(entries),
        ...lostAcknowledgements(journal, entries),
        ...inconsistentAcknowledgements(journal),
        ...giveUps(journal),
        ...missedReads(journal),
    ];
}
