import type * as pulumi from "@pulumi/pulumi";
import { quoted } from "../core/issues";
import { allocate, AllocateValue, Allocation, findAllocation, holderAt, isReclaimable, SliceLedger } from "../core/ledger";
import { claimRequestedIndex, locateRequestedPair, RequestSlice } from "../core/requested-subnet";
import { ipv6PoolOf, slicePoolsOf } from "../core/slice-pools";
import {
    changedProperties,
    checkProperties,
    containsUnknown,
    Properties,
    requireValidInputs,
    SubnetAllocationInputs,
    subnetAllocationInputShape,
    toCheckFailures,
} from "./inputs";
import { allocateSubnet, findSubnet, releaseSubnet } from "../service/allocations";
import { IpamError } from "../service/errors";
import { loadSliceToPlan } from "../service/slices";
import { openStore } from "../store/store-spec";
import { withAllocationLog } from "./allocation-log";
import { observeOnRefresh, warnIfReleasedInUse } from "./allocation-usage";
import { warnToPulumi } from "./pulumi-log";

const REPLACING_PROPERTIES = ["sliceName", "clusterName"] as const;

export async function check(_olds: Properties, news: Properties): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, issues } = checkProperties(subnetAllocationInputShape, news);
    const requesting = typeof inputs.requestedSubnet === "string" || typeof inputs.requestedSubnetIpv6 === "string";
    if (issues.length === 0 && requesting && !containsUnknown(inputs)) {
        const problem = await requestedSubnetProblem(inputs as unknown as SubnetAllocationInputs);
        if (problem !== undefined) {
            issues.push({ property: typeof inputs.requestedSubnet === "string" ? "requestedSubnet" : "requestedSubnetIpv6", message: problem });
        }
    }
    return { inputs, failures: toCheckFailures(issues) };
}

/**
 * Checks a requested (pinned or planned) subnet against the slice as it is
 * now: a block of the pool, of the slice's size, held by no other cluster.
 * A slice not registered yet is checked when the allocation is created.
 */
async function requestedSubnetProblem(args: SubnetAllocationInputs): Promise<string | undefined> {
    const ledger = await loadSliceToPlan(openStore(args.store), args.sliceName);
    if (ledger === undefined) {
        return undefined;
    }
    const now = new Date();
    const own = findAllocation(ledger, args.clusterName);
    // An existing allocation never moves, so its request can only be invalid,
    // not taken. A taken plan is not an input error either: another stack got
    // there first, and create falls back to first-fit. A taken pin is.
    const holds = own !== undefined && !isReclaimable(ledger, own, now);
    const pinned = !holds && args.requestedSubnetIsPlan !== true;
    if (args.requestedSubnetIpv6 !== undefined && ipv6PoolOf(ledger.spec) === undefined) {
        return undefined; // the IPv6 pool is being added by this update's SliceIpam: checked when the allocation is made
    }
    const slice = requestSliceOf(ledger);
    const located = locateRequestedPair(slice, args.clusterName, args.requestedSubnet, args.requestedSubnetIpv6);
    if (!located.ok) {
        return located.issue.message;
    }
    const checked = claimRequestedIndex(slice, args.clusterName, located.index!, holderAt(ledger, now), pinned);
    if (!checked.ok) {
        return checked.issue.message;
    }
    if (!holds && !checked.honoured && args.planMustHold === true) {
        // A plan that must hold, already taken: the create would fail; say so now, with the subnet free now.
        const tried = allocate(ledger, args.clusterName, now, { requestedIndex: checked.index, mustHold: true });
        return tried.ok ? undefined : tried.issue.message;
    }
    return undefined;
}

/** The slice a request is checked against, both pools of a dual-stack one. */
function requestSliceOf(ledger: SliceLedger): RequestSlice {
    const pools = slicePoolsOf(ledger.spec);
    return { sliceName: ledger.spec.sliceName, pool: pools.primary, ipv6Pool: pools.ipv6, reservedRanges: ledger.spec.reservedRanges };
}

/**
 * Another slice, cluster or store is another allocation: replace it. A
 * subnet found Released by a refresh (released out of band) is an in-place
 * update that takes it back.
 *
 * An unknown value is never a replacement: when the SliceIpam is replaced
 * delete-first, the engine asks its dependents' diff with the slice's outputs
 * unknown, and a "replace" here would release every cluster, let the slice
 * delete succeed and re-address the clusters. Answering "update" keeps the
 * allocations, so the slice's delete refuses as designed.
 */
export async function diff(_id: string, olds: Properties, news: Properties): Promise<pulumi.dynamic.DiffResult> {
    const unknown = REPLACING_PROPERTIES.some((property) => containsUnknown(news[property]));
    const replaces = REPLACING_PROPERTIES.filter(
        (property) => !containsUnknown(news[property]) && changedProperties(olds, news, [property]).length > 0,
    );
    const reactivate = olds.status === "Released";
    const moved = changedProperties(olds, news, ["store"]).length > 0 || containsUnknown(news.store);
    // The slice's IPv6 pool added (or about to be, still unknown in a preview): an update reports the paired subnet.
    const ipv6Pool = changedProperties(olds, news, ["sliceSubnetIpv6"]).length > 0 || containsUnknown(news.sliceSubnetIpv6);
    return { changes: replaces.length > 0 || reactivate || unknown || moved || ipv6Pool, replaces };
}

/** Allocates, or adopts what the store already holds for the cluster. */
export async function create(inputs: Properties): Promise<pulumi.dynamic.CreateResult> {
    const args = validInputs(inputs);
    const allocated = await allocateFor(args);
    return {
        id: `${args.sliceName}/${args.clusterName}`,
        outs: outputs(args, allocated.allocation, allocated.outcome === "reused"),
    };
}

/**
 * Reports what the store holds now; an allocation gone from the store drops
 * out of the stack. With the Kubernetes store it also records what the
 * cluster's WorkerSliceConfig reports (Allocated → InUse).
 */
export async function read(id: string, props: Properties): Promise<pulumi.dynamic.ReadResult> {
    const args = validInputs(props); // a refresh or import skipped check too: nothing unchecked reaches a store
    const store = openStore(args.store);
    const held = await findSubnet(store, args.sliceName, args.clusterName);
    if (held === undefined) {
        return {};
    }
    const observed = held.status === "Allocated" ? await observeOnRefresh(store, args.sliceName, args.clusterName) : undefined;
    return { id, props: outputs(args, observed ?? held, props.reused === true) };
}

export async function update(_id: string, olds: Properties, news: Properties): Promise<pulumi.dynamic.UpdateResult> {
    const args = validInputs(news);
    if (changedProperties(olds, news, ["store"]).length > 0) {
        // Moved to another store: the allocation must have been copied there with the slice.
        const held = await findSubnet(openStore(args.store), args.sliceName, args.clusterName);
        if (held === undefined || held.subnet !== olds.subnet) {
            throw new IpamError(
                "allocation-not-in-store",
                `cluster "${args.clusterName}" holds ${olds.subnet} in slice "${args.sliceName}", but the new store ` +
                    `${openStore(args.store).description} ${held === undefined ? "has no allocation for it" : `has ${held.subnet}`}; ` +
                    `copy the slice's ledger there first (slice-ipam copy), then run pulumi up again`,
            );
        }
        return { outs: outputs(args, held, olds.reused === true) };
    }
    const allocated = await allocateFor(args);
    return { outs: outputs(args, allocated.allocation, allocated.outcome === "reused") };
}

/** Allocates (honouring requestedSubnet when it can), logging as the guide does. */
async function allocateFor(args: SubnetAllocationInputs): Promise<AllocateValue> {
    const allocated = await withAllocationLog(args.sliceName, args.clusterName, () =>
        allocateSubnet(openStore(args.store), args.sliceName, args.clusterName, undefined, {
            requestedSubnet: args.requestedSubnet,
            requestedSubnetIpv6: args.requestedSubnetIpv6,
            pinned: (args.requestedSubnet !== undefined || args.requestedSubnetIpv6 !== undefined) && args.requestedSubnetIsPlan !== true,
            mustHold: args.planMustHold === true,
        }),
    );
    warnIfRequestMissed(args, allocated);
    return allocated;
}

/** Releases the subnet: it stays reserved for the cluster for the grace period. */
export async function remove(_id: string, props: Properties): Promise<void> {
    const args = validInputs(props);
    const store = openStore(args.store);
    const released = await releaseSubnet(store, args.sliceName, args.clusterName);
    await warnIfReleasedInUse(store, args.sliceName, args.clusterName, released);
}

function validInputs(props: Properties): SubnetAllocationInputs {
    const subject = `cluster ${quoted(props?.clusterName)} in slice ${quoted(props?.sliceName)}`;
    return requireValidInputs(subnetAllocationInputShape, props, subject);
}

/** What a SubnetAllocation reports: its inputs and the allocation the store holds. */
type SubnetAllocationOutputs = SubnetAllocationInputs &
    Pick<Allocation, "subnet" | "subnetIpv6" | "index" | "status" | "allocatedAt"> & { readonly reused: boolean };

function outputs(args: SubnetAllocationInputs, allocation: Allocation, reused: boolean): SubnetAllocationOutputs {
    return {
        sliceName: args.sliceName,
        clusterName: args.clusterName,
        ...(args.store === undefined ? {} : { store: args.store }),
        ...(args.requestedSubnet === undefined ? {} : { requestedSubnet: args.requestedSubnet }),
        ...(args.requestedSubnetIsPlan === undefined ? {} : { requestedSubnetIsPlan: args.requestedSubnetIsPlan }),
        ...(args.planMustHold === undefined ? {} : { planMustHold: args.planMustHold }),
        ...(args.requestedSubnetIpv6 === undefined ? {} : { requestedSubnetIpv6: args.requestedSubnetIpv6 }),
        ...(args.sliceSubnetIpv6 === undefined ? {} : { sliceSubnetIpv6: args.sliceSubnetIpv6 }),
        subnet: allocation.subnet,
        ...(allocation.subnetIpv6 === undefined ? {} : { subnetIpv6: allocation.subnetIpv6 }),
        index: allocation.index,
        status: allocation.status,
        allocatedAt: allocation.allocatedAt,
        reused,
    };
}

/**
 * A planned subnet taken by another writer between plan and create: the
 * allocation fell back to first-fit. Say so, naming both subnets, because the
 * preview showed the planned one.
 */
function warnIfRequestMissed(args: SubnetAllocationInputs, allocated: AllocateValue): void {
    const request = allocated.request;
    if (request === undefined || request.honoured) {
        return;
    }
    const takenBy = request.reservedBy === undefined ? `taken by cluster "${request.heldBy}"` : `reserved by range ${request.reservedBy}`;
    warnToPulumi(
        `slice "${args.sliceName}": requested subnet ${args.requestedSubnet} for cluster "${args.clusterName}" ` +
            `was ${takenBy} meanwhile; allocated ${allocated.allocation.subnet} instead`,
    );
}
