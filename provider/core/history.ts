/**
 * A slice's past, derived: one event per change of its ledger, from the ledger
 * before and after the change, so that no kind of change can forget to record
 * itself, and an event exists exactly when its change was written (stores keep
 * the history in the ledger, under the same compare-and-swap).
 */
import type { HistoryActor, HistoryBounds, HistoryEvent } from "./history-event";
import type { Allocation, SliceLedger } from "./ledger";

export * from "./history-event";

/** What a change says about itself beyond its ledger: the time it ran and a note for its events. */
export interface ChangeContext {
    readonly at: Date;
    readonly actor: HistoryActor;
    /** Added to the allocation events of this change, e.g. "pinned". */
    readonly note?: string;
}

/**
 * The events a change from `before` to `after` amounts to, in a stable order:
 * registration and settings first, then per cluster by subnet index.
 * Counters are bookkeeping, not changes: a change of counters alone has none.
 */
export function eventsOfChange(before: SliceLedger | undefined, after: SliceLedger, context: ChangeContext): HistoryEvent[] {
    const base = { at: context.at.toISOString(), actor: context.actor };
    const events: HistoryEvent[] = [];
    if (before === undefined) {
        const ipv6 = after.spec.sliceSubnetIpv6 === undefined ? "" : ` and ${after.spec.sliceSubnetIpv6} in /${after.spec.subnetSizeIpv6} subnets`;
        events.push({ ...base, action: "registered", detail: `${after.spec.sliceSubnet} in /${after.spec.subnetSize} subnets${ipv6}` });
    } else {
        const changed = settingChanges(before, after);
        if (changed.length > 0) {
            events.push({ ...base, action: "settings-changed", detail: changed.join(", ") });
        }
    }
    const perCluster: { index: number; event: HistoryEvent }[] = [];
    for (const [previous, next] of changedEntries(before?.allocations ?? [], after.allocations)) {
        if (next === undefined) {
            perCluster.push({ index: previous!.index, event: removalEvent(after, previous!, context.at, base) });
            continue;
        }
        const event = entryEvent(previous, next, base, context.note);
        if (event !== undefined) {
            perCluster.push({ index: next.index, event });
        }
    }
    // A removal and an allocation of the same index (reclaimed, then taken) read in that order.
    perCluster.sort((a, b) => a.index - b.index || order(a.event) - order(b.event));
    return [...events, ...perCluster.map(({ event }) => event)];
}

/**
 * The entries that differ between two ledgers' allocations, paired by
 * cluster: [before, after], either undefined when the cluster has no entry on
 * that side. Both lists are sorted by index, and a change replaces only the
 * entries it changes, so unchanged ones are skipped by identity in one walk.
 */
function changedEntries(before: readonly Allocation[], after: readonly Allocation[]): [Allocation | undefined, Allocation | undefined][] {
    const removed: Allocation[] = [];
    const added: Allocation[] = [];
    let i = 0;
    let j = 0;
    while (i < before.length || j < after.length) {
        const previous = before[i];
        const next = after[j];
        if (previous !== undefined && previous === next) {
            i++;
            j++;
        } else if (next === undefined || (previous !== undefined && previous.index <= next.index)) {
            removed.push(previous);
            i++;
        } else {
            added.push(next);
            j++;
        }
    }
    if (removed.length === 0 && added.length === 0) {
        return [];
    }
    const addedByCluster = new Map(added.map((entry) => [entry.clusterName, entry]));
    const pairs: [Allocation | undefined, Allocation | undefined][] = removed.map((entry) => {
        const next = addedByCluster.get(entry.clusterName);
        addedByCluster.delete(entry.clusterName);
        return [entry, next];
    });
    for (const entry of addedByCluster.values()) {
        pairs.push([undefined, entry]);
    }
    return pairs;
}

function order(event: HistoryEvent): number {
    return event.to === "Available" ? 0 : 1;
}

function settingChanges(before: SliceLedger, after: SliceLedger): string[] {
    const changes: string[] = [];
    for (const setting of ["gracePeriodSeconds", "maxClusters"] as const) {
        if (before.spec[setting] !== after.spec[setting]) {
            changes.push(`${setting} ${before.spec[setting]} → ${after.spec[setting]}`);
        }
    }
    if (before.spec.sliceSubnetIpv6 !== after.spec.sliceSubnetIpv6 && after.spec.sliceSubnetIpv6 !== undefined) {
        changes.push(`IPv6 pool ${after.spec.sliceSubnetIpv6} in /${after.spec.subnetSizeIpv6} subnets added (dual-stack)`);
    }
    const ranges = (ledger: SliceLedger) => (ledger.spec.reservedRanges ?? []).join(",");
    if (ranges(before) !== ranges(after)) {
        changes.push(`reservedRanges [${ranges(before)}] → [${ranges(after)}]`);
    }
    return changes;
}

type EventBase = Pick<HistoryEvent, "at" | "actor">;

function entryEvent(before: Allocation | undefined, after: Allocation, base: EventBase, note: string | undefined): HistoryEvent | undefined {
    const subject = { ...base, ...subnetsOf(after) };
    const withNote = note === undefined ? {} : { detail: note };
    if (before === undefined) {
        return { ...subject, action: "allocated", from: "Available", to: after.status, ...withNote };
    }
    if (before.index !== after.index) {
        // A cluster moved to another subnet: its old one is free, its new one taken (only a hand-made ledger does this).
        return { ...subject, action: "allocated", from: "Available", to: after.status, detail: `moved from ${before.subnet}` };
    }
    if (before.status === after.status) {
        return undefined;
    }
    const transition = { ...subject, from: before.status, to: after.status };
    if (before.status === "Released") {
        return { ...transition, action: "reused", ...withNote };
    }
    if (after.status === "Released") {
        return { ...transition, action: "released" };
    }
    return { ...transition, action: after.status === "InUse" ? "in-use" : "usage-reset" };
}

/** The cluster and subnets an event of `entry` names: the IPv6 one only in a dual-stack slice. */
function subnetsOf(entry: Allocation): Pick<HistoryEvent, "clusterName" | "subnet" | "subnetIpv6"> {
    const subject = { clusterName: entry.clusterName, subnet: entry.subnet };
    return entry.subnetIpv6 === undefined ? subject : { ...subject, subnetIpv6: entry.subnetIpv6 };
}

/** An entry gone from the ledger: reclaimed after its grace period, or before it on an operator's word. */
function removalEvent(after: SliceLedger, entry: Allocation, at: Date, base: EventBase): HistoryEvent {
    const graceEnds = entry.releasedAt === undefined ? undefined : Date.parse(entry.releasedAt) + after.spec.gracePeriodSeconds * 1000;
    const early = graceEnds === undefined || graceEnds > at.getTime();
    return {
        ...base,
        ...subnetsOf(entry),
        action: early ? "reclaimed-early" : "reclaimed",
        from: entry.status,
        to: "Available",
    };
}

/**
 * The one event of a slice's removal. Its ledger, and so its history, go with
 * the slice: stores that publish events elsewhere (Kubernetes Events) keep it.
 */
export function removalEventOf(before: SliceLedger, context: ChangeContext): HistoryEvent {
    return {
        at: context.at.toISOString(),
        actor: context.actor,
        action: "removed",
        detail: `${before.spec.sliceSubnet} in /${before.spec.subnetSize} subnets`,
    };
}

/** `history` with `events` appended, then trimmed to `bounds` as of `now`. */
export function appendHistory(
    history: readonly HistoryEvent[],
    events: readonly HistoryEvent[],
    bounds: HistoryBounds,
    now: Date,
): readonly HistoryEvent[] {
    const oldest = now.getTime() - bounds.maxAgeSeconds * 1000;
    const all = [...history, ...events];
    // Oldest first: the events past the age bound are a prefix (writers' clocks may disagree a little; an older one later waits its turn).
    let first = Math.max(0, all.length - bounds.maxEvents);
    while (first < all.length && Date.parse(all[first].at) < oldest) {
        first++;
    }
    return first === 0 ? all : all.slice(first);
}

/**
 * `after` with the events of the change from `before` recorded in its
 * history; `after` itself when the change has none (the caller's "nothing
 * changed" test by identity keeps working).
 */
export function recordChange(before: SliceLedger | undefined, after: SliceLedger, context: ChangeContext, bounds: HistoryBounds): SliceLedger {
    return recordedChange(before, after, context, bounds).ledger;
}

/** {@link recordChange}, also returning the events it recorded. */
export function recordedChange(
    before: SliceLedger | undefined,
    after: SliceLedger,
    context: ChangeContext,
    bounds: HistoryBounds,
): { readonly ledger: SliceLedger; readonly events: readonly HistoryEvent[] } {
    const events = eventsOfChange(before, after, context);
    if (events.length === 0) {
        return { ledger: after, events };
    }
    return { ledger: { ...after, history: appendHistory(after.history ?? [], events, bounds, context.at) }, events };
}

/** What `slice-ipam history` shows: events of one cluster and/or since a time, oldest first. */
export function selectHistory(
    history: readonly HistoryEvent[],
    filter: { readonly clusterName?: string; readonly since?: Date },
): readonly HistoryEvent[] {
    const since = filter.since?.getTime();
    return history.filter(
        (event) =>
            (filter.clusterName === undefined || event.clusterName === filter.clusterName) && (since === undefined || Date.parse(event.at) >= since),
    );
}

/** Who made a change, in one line: where it ran (Pulumi project/stack, or the CLI's command) and as whom. */
export function actorText(actor: HistoryActor): string {
    const where =
        actor.via === "pulumi"
            ? `pulumi ${[actor.organization, actor.project, actor.stack].filter((part) => part !== undefined).join("/")}` +
              (actor.update === undefined ? "" : ` update ${actor.update}`)
            : actor.via === "cli"
              ? `slice-ipam ${actor.command ?? ""}`.trimEnd()
              : "library";
    const who = [actor.user, actor.host].filter((part) => part !== undefined).join("@");
    return who === "" ? where : `${where} (${who})`;
}
