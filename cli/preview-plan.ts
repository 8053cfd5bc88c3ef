import { allocate, isActive, poolOf, release, SliceLedger } from "../provider/core/ledger";
import { indexOfSubnet } from "../provider/core/pool";
import { SubnetChange } from "./map-layout";

/**
 * What a pull request changes in a slice, from the document `pulumi preview
 * --json` prints: its SubnetAllocation steps (the dynamic provider's
 * `pulumi-nodejs:dynamic/kubeslice-ipam:SubnetAllocation` and the native
 * provider's `kubeslice-ipam:index:SubnetAllocation`). A create is a cluster
 * joining, at the subnet the component planned (`requestedSubnet`); a delete
 * is a cluster leaving. Unchanged resources are not in the document, so every
 * other entry of the ledger is kept. Pure: the caller reads the files.
 */

/** One cluster the preview adds or releases. */
export interface PreviewStepChange {
    readonly change: SubnetChange;
    readonly clusterName: string;
    /** Unknown in the preview of a new stack whose SliceIpam is created too: then the subnet picks the slice. */
    readonly sliceName?: string;
    /** The planned subnet of an add; the held one of a release. */
    readonly subnet?: string;
    /**
     * A dual-stack slice's IPv6 subnet, where the preview has it: a release's
     * held one (its outputs). A create's planned one is not among its inputs
     * (the index of `subnet` names it), so the plan derives it.
     */
    readonly subnetIpv6?: string;
}

export type PreviewReadResult =
    { readonly ok: true; readonly changes: readonly PreviewStepChange[] } | { readonly ok: false; readonly reason: string };

const ALLOCATION_TYPE = /(^|[:/])kubeslice-ipam:(index:)?SubnetAllocation$/;
const ADDING_OPS = new Set(["create", "create-replacement"]);
const RELEASING_OPS = new Set(["delete", "delete-replaced"]);

interface StepState {
    readonly type?: unknown;
    readonly inputs?: Record<string, unknown>;
    readonly outputs?: Record<string, unknown>;
}

/** The SubnetAllocation changes of a `pulumi preview --json` document. */
export function readPreview(document: unknown): PreviewReadResult {
    const steps = (document as { steps?: unknown } | null)?.steps;
    if (typeof document !== "object" || document === null || !Array.isArray(steps)) {
        return { ok: false, reason: 'it is not the JSON document `pulumi preview --json` prints (an object with "steps")' };
    }
    const changes: PreviewStepChange[] = [];
    for (const step of steps as { op?: unknown; oldState?: StepState; newState?: StepState }[]) {
        const op = String(step?.op);
        if (ADDING_OPS.has(op) && isAllocation(step.newState)) {
            const fields = { ...step.newState?.inputs, ...step.newState?.outputs };
            changes.push(stepChange("add", fields, fields.requestedSubnet, fields.requestedSubnetIpv6 ?? fields.subnetIpv6));
        } else if (RELEASING_OPS.has(op) && isAllocation(step.oldState)) {
            const fields = { ...step.oldState?.inputs, ...step.oldState?.outputs };
            changes.push(stepChange("release", fields, fields.subnet ?? fields.requestedSubnet, fields.subnetIpv6));
        }
    }
    const nameless = changes.find((change) => change.clusterName === "");
    if (nameless !== undefined) {
        return { ok: false, reason: `a SubnetAllocation step to ${nameless.change} has no known clusterName` };
    }
    return { ok: true, changes };
}

function isAllocation(state: StepState | undefined): boolean {
    return typeof state?.type === "string" && ALLOCATION_TYPE.test(state.type);
}

/** Values the preview does not know yet are a sentinel string; they read as absent. */
function known(value: unknown): string | undefined {
    return typeof value === "string" && value !== UNKNOWN ? value : undefined;
}

/** Pulumi's `UnknownStringValue`: what a preview prints for a value only the update will know. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function stepChange(change: SubnetChange, fields: Record<string, unknown>, subnet: unknown, subnetIpv6: unknown): PreviewStepChange {
    const sliceName = known(fields.sliceName);
    const planned = known(subnet);
    const plannedIpv6 = known(subnetIpv6);
    return {
        change,
        clusterName: known(fields.clusterName) ?? "",
        ...(sliceName === undefined ? {} : { sliceName }),
        ...(planned === undefined ? {} : { subnet: planned }),
        ...(plannedIpv6 === undefined ? {} : { subnetIpv6: plannedIpv6 }),
    };
}

/** The slices a preview touches: those named, or whose pool holds a subnet it plans. */
export function touchesSlice(ledger: SliceLedger, change: PreviewStepChange): boolean {
    if (change.sliceName !== undefined) {
        return change.sliceName === ledger.spec.sliceName;
    }
    return change.subnet !== undefined && indexOfSubnet(poolOf(ledger.spec), change.subnet).ok;
}

/** How the slice's entry for a cluster of the preview ends up. */
export type PlanOutcome = "joins" | "gets its reserved subnet back" | "keeps its subnet" | "is released" | "holds nothing to release";

export interface PlanRow {
    readonly clusterName: string;
    readonly change: SubnetChange;
    readonly outcome: PlanOutcome;
    /** The subnet the cluster gets or leaves. */
    readonly subnet?: string;
    /** A dual-stack slice's IPv6 subnet the cluster gets or leaves: the one paired with `subnet`. */
    readonly subnetIpv6?: string;
    /** Set when the ledger has moved on since the preview (the subnet is taken, the cluster limit reached). */
    readonly problem?: string;
}

/** The slice before and after the preview's changes, as `pulumi up` would make them now. */
export interface SlicePlan {
    readonly before: SliceLedger;
    readonly after: SliceLedger;
    readonly rows: readonly PlanRow[];
    /** Subnet index → change, for the map of `after`. */
    readonly changes: ReadonlyMap<number, SubnetChange>;
    /** Active clusters the preview leaves as they are. */
    readonly kept: number;
    /** Released subnets past their grace period that the change's allocations return to the pool. */
    readonly reclaimed: readonly string[];
}

/**
 * Applies a preview's changes to the ledger with the core's own `allocate`
 * (each at its planned subnet) and `release`, in the order `pulumi up` runs
 * them: creates first, deletes last.
 */
export function planSlice(ledger: SliceLedger, changes: readonly PreviewStepChange[], now: Date): SlicePlan {
    const mine = changes.filter((change) => touchesSlice(ledger, change));
    const pool = poolOf(ledger.spec);
    const rows: PlanRow[] = [];
    const indexes = new Map<number, SubnetChange>();
    const reclaimed: string[] = [];
    let after = ledger;
    for (const change of mine.filter((c) => c.change === "add")) {
        const requested = change.subnet === undefined ? undefined : indexOfSubnet(pool, change.subnet);
        const result = allocate(after, change.clusterName, now, requested?.ok ? { requestedIndex: requested.index } : {});
        if (!result.ok) {
            rows.push({
                clusterName: change.clusterName,
                change: "add",
                outcome: "joins",
                subnet: change.subnet,
                ...ipv6Of(change),
                problem: result.issue.message,
            });
            continue;
        }
        after = result.ledger;
        const { allocation, outcome, request } = result.value;
        reclaimed.push(...result.value.reclaimed.map((entry) => entry.subnet));
        const moved = change.subnet !== undefined && allocation.subnet !== change.subnet;
        rows.push({
            clusterName: change.clusterName,
            change: "add",
            outcome: outcome === "existing" ? "keeps its subnet" : outcome === "reused" ? "gets its reserved subnet back" : "joins",
            subnet: allocation.subnet,
            ...ipv6Of(allocation),
            ...(moved
                ? {
                      problem:
                          `the preview planned ${change.subnet}` +
                          (request?.heldBy === undefined ? "" : `, which "${request.heldBy}" holds now`) +
                          `: run the preview again`,
                  }
                : {}),
        });
        if (outcome !== "existing") {
            indexes.set(allocation.index, "add");
        }
    }
    for (const change of mine.filter((c) => c.change === "release")) {
        const result = release(after, change.clusterName, now);
        after = result.ledger;
        const allocation = result.value.allocation;
        rows.push({
            clusterName: change.clusterName,
            change: "release",
            outcome: result.value.changed ? "is released" : "holds nothing to release",
            ...(allocation === undefined ? ipv6Of(change) : { subnet: allocation.subnet, ...ipv6Of(allocation) }),
        });
        if (result.value.changed && allocation !== undefined) {
            indexes.set(allocation.index, "release");
        }
    }
    const touched = new Set(mine.map((change) => change.clusterName));
    const kept = ledger.allocations.filter((entry) => isActive(entry) && !touched.has(entry.clusterName)).length;
    return { before: ledger, after, rows, changes: indexes, kept, reclaimed };
}

/** The IPv6 subnet of a row, only when there is one (a single-stack slice's rows stay as they were). */
function ipv6Of(source: { readonly subnetIpv6?: string }): Pick<PlanRow, "subnetIpv6"> {
    return source.subnetIpv6 === undefined ? {} : { subnetIpv6: source.subnetIpv6 };
}

/** Clusters of the preview whose slice is in none of the ledgers: named so the report does not drop them silently. */
export function unplacedChanges(ledgers: readonly SliceLedger[], changes: readonly PreviewStepChange[]): PreviewStepChange[] {
    return changes.filter((change) => !ledgers.some((ledger) => touchesSlice(ledger, change)));
}

/** What the change's first allocation returns to the pool: Released subnets whose grace period is over. */
export function reclaimedNote(reclaimed: readonly string[]): string {
    return `${reclaimed.length} Released subnet(s) past their grace period return to the pool with the first allocation: ${reclaimed.join(", ")}.`;
}
