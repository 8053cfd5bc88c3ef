import { randomBytes } from "node:crypto";
import { actorText, HistoryAction, HistoryEvent } from "../core/history";
import { SLICE_IPAM_GROUP, SLICE_IPAM_KIND, SLICE_IPAM_VERSION } from "./sliceipam-object";

/**
 * Kubernetes Events for a slice's history, on its SliceIpam object, so that
 * `kubectl get events --field-selector involvedObject.kind=SliceIpam` (the
 * design guide's audit recipe) and `kubectl describe sliceipam` show what
 * changed. The history in the ledger is the record; Events are a courtesy,
 * written after the commit, best effort: one that cannot be written never
 * fails or undoes the change (and the cluster's own Event TTL expires them).
 * Pure: builds the objects; the store sends them.
 */
export const EVENTS = { group: "events.k8s.io", version: "v1", plural: "events" } as const;

/** Who reports the Events (the `reportingController` Kubernetes asks for: a qualified name). */
export const REPORTING_CONTROLLER = "ipam.kubeslice-ipam.io/store";

/**
 * Events written for one commit: a burst of hundreds of allocations is one
 * commit, and hundreds of Events would flood `kubectl get events`; the rest
 * are summed up in one more, pointing at `slice-ipam history`.
 */
export const EVENTS_PER_COMMIT = 20;

const REASONS: Readonly<Record<HistoryAction, string>> = {
    registered: "Registered",
    "settings-changed": "SettingsChanged",
    allocated: "Allocated",
    reused: "Reused",
    "in-use": "InUse",
    "usage-reset": "UsageReset",
    released: "Released",
    reclaimed: "Reclaimed",
    "reclaimed-early": "ReclaimedEarly",
    removed: "Removed",
};

export interface KubernetesEvent {
    apiVersion: string;
    kind: "Event";
    metadata: { name: string; namespace: string };
    eventTime: string;
    reportingController: string;
    reportingInstance: string;
    action: string;
    reason: string;
    regarding: { apiVersion: string; kind: string; name: string; namespace: string };
    note: string;
    type: "Normal" | "Warning";
}

/** The Events for `events`, newest last; at most {@link EVENTS_PER_COMMIT} plus a summary. */
export function kubernetesEvents(namespace: string, sliceName: string, events: readonly HistoryEvent[], instance: string): KubernetesEvent[] {
    const shown = events.length > EVENTS_PER_COMMIT ? events.slice(0, EVENTS_PER_COMMIT - 1) : events;
    const objects = shown.map((event) => eventObject(namespace, sliceName, instance, event, REASONS[event.action], noteOf(event)));
    if (shown.length < events.length) {
        const rest = events.slice(shown.length);
        const counts = new Map<string, number>();
        rest.forEach((event) => counts.set(event.action, (counts.get(event.action) ?? 0) + 1));
        const summary = [...counts].map(([action, count]) => `${count} ${action}`).join(", ");
        const last = rest[rest.length - 1];
        objects.push(
            eventObject(
                namespace,
                sliceName,
                instance,
                last,
                "Changes",
                `${rest.length} more changes in this commit (${summary}); slice-ipam history ${sliceName} lists each`,
            ),
        );
    }
    return objects;
}

function eventObject(namespace: string, sliceName: string, instance: string, event: HistoryEvent, reason: string, note: string): KubernetesEvent {
    return {
        apiVersion: `${EVENTS.group}/${EVENTS.version}`,
        kind: "Event",
        // The client-go recorder's form: the object's name and a unique suffix.
        metadata: { name: `${sliceName}.${randomBytes(8).toString("hex")}`, namespace },
        eventTime: microTime(event.at),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: instance.slice(0, 128),
        action: reason,
        reason,
        regarding: { apiVersion: `${SLICE_IPAM_GROUP}/${SLICE_IPAM_VERSION}`, kind: SLICE_IPAM_KIND, name: sliceName, namespace },
        note: note.slice(0, 1024),
        type: event.action === "reclaimed-early" ? "Warning" : "Normal",
    };
}

/** What an Event says: the cluster, subnet and states, and who, in one line. */
function noteOf(event: HistoryEvent): string {
    const subject = event.clusterName === undefined ? "slice" : `cluster ${event.clusterName}`;
    const subnet = event.subnet === undefined ? "" : ` ${event.subnet}${event.subnetIpv6 === undefined ? "" : ` and ${event.subnetIpv6}`}`;
    const states = event.from === undefined && event.to === undefined ? "" : ` ${event.from ?? "-"} → ${event.to ?? "-"}`;
    const detail = event.detail === undefined ? "" : ` (${event.detail})`;
    return `${subject}:${subnet}${states}${detail}; by ${actorText(event.actor)}`;
}

/** Kubernetes' MicroTime: RFC 3339 with six fractional digits. */
function microTime(iso: string): string {
    return new Date(iso).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
