import { AllocationStatus, findAllocation, markInUse, SliceLedger } from "./ledger";
import { KubesliceIpamError } from "./kubeslice-ipam-error";

/**
 * Allocated → InUse from what the clusters' WorkerSliceConfigs report.
 *
 * InUse is informational, as in the design guide: it never changes what is
 * allocated, reserved or reclaimed, and release works from it as from
 * Allocated. It is also sticky: there is no InUse → Allocated edge. The guide
 * has none, and pods come and go (rollouts, scale to zero, a worker restart
 * that rebuilds its status); a cluster that has carried traffic keeps saying
 * so until it leaves. A cluster that rejoins starts Allocated again.
 */

/** What one cluster's WorkerSliceConfig says, as read by a usage source. */
export type UsageObservation =
    | {
          readonly clusterName: string;
          readonly found: true;
          /** Name of the WorkerSliceConfig read, e.g. `blue-worker-1`. */
          readonly workerSliceConfig: string;
          readonly connectedPods: number;
          /** Entries of `connectedAppPods` that were not counted, with the reason. */
          readonly ignored: readonly string[];
      }
    | { readonly clusterName: string; readonly found: false; readonly workerSliceConfig: string };

/** What a usage sync did, or would do, for one cluster. */
export type UsageOutcome =
    /** Allocated, and the worker reports connected pods: now InUse. */
    | "marked-in-use"
    /** Already InUse; stays so whatever the pod count. */
    | "in-use"
    /** Allocated, no connected pod reported. */
    | "no-connected-pods"
    /** No WorkerSliceConfig for the cluster: nothing observed. */
    | "no-worker-slice-config"
    /** The cluster left (Released): usage is not recorded for it. */
    | "released"
    /** The slice holds no entry for the cluster. */
    | "no-allocation";

export interface ClusterUsage {
    readonly clusterName: string;
    readonly outcome: UsageOutcome;
    /** The entry's status after the sync; undefined when the slice has no entry. */
    readonly status?: AllocationStatus;
    readonly subnet?: string;
    /** Connected pods the WorkerSliceConfig reports; undefined when none was found. */
    readonly connectedPods?: number;
    readonly workerSliceConfig: string;
    readonly ignored: readonly string[];
}

export interface UsageResult {
    readonly ledger: SliceLedger;
    readonly clusters: readonly ClusterUsage[];
}

/** Applies observations to a ledger. Pure; only Allocated entries with connected pods change. */
export function applyUsage(ledger: SliceLedger, observations: readonly UsageObservation[]): UsageResult {
    let next = ledger;
    const clusters = observations.map((observation): ClusterUsage => {
        const held = findAllocation(next, observation.clusterName);
        const connectedPods = observation.found ? observation.connectedPods : undefined;
        const base = {
            clusterName: observation.clusterName,
            workerSliceConfig: observation.workerSliceConfig,
            connectedPods,
            ignored: observation.found ? observation.ignored : [],
        };
        if (held === undefined) {
            return { ...base, outcome: "no-allocation" };
        }
        const entry = { ...base, subnet: held.subnet };
        if (held.status === "Released") {
            return { ...entry, status: held.status, outcome: "released" };
        }
        if (held.status === "InUse") {
            return { ...entry, status: held.status, outcome: "in-use" };
        }
        if (!observation.found) {
            return { ...entry, status: held.status, outcome: "no-worker-slice-config" };
        }
        if (observation.connectedPods === 0) {
            return { ...entry, status: held.status, outcome: "no-connected-pods" };
        }
        const marked = markInUse(next, observation.clusterName);
        if (!marked.ok) {
            // markInUse refuses only unknown or Released clusters, both answered above: a bug if reached.
            throw new KubesliceIpamError(marked.issue.code, marked.issue.message);
        }
        next = marked.ledger;
        return { ...entry, status: "InUse", outcome: "marked-in-use" };
    });
    return { ledger: next, clusters };
}

/** Clusters whose worker has reported connected pods, and that have not left. */
export function inUseCount(ledger: SliceLedger): number {
    return ledger.allocations.filter((entry) => entry.status === "InUse").length;
}
