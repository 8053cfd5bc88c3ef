import { allocate, AllocateValue, Allocation, findAllocation, release, ReleaseValue, SliceLedger } from "../core/ledger";
import { locateRequestedPair } from "../core/requested-subnet";
import { slicePoolsOf } from "../core/slice-pools";
import { countIn } from "../core/counters";
import { LedgerStore } from "../store/ledger-store";
import { updateLedger } from "../store/update-ledger";
import { IpamError } from "./errors";
import { Clock, notRegistered, systemClock } from "./slices";

/**
 * Gives a cluster its subnet in a slice: the one it holds, the one it released
 * within the grace period, or the lowest free one. An allocation made by
 * another stack or tool is adopted as it is. Successes, refusals, reclaimed
 * subnets and latency are counted in the ledger for the metrics exporter.
 */
export async function allocateSubnet(
    store: LedgerStore,
    sliceName: string,
    clusterName: string,
    clock: Clock = systemClock,
    request: {
        readonly requestedSubnet?: string;
        readonly requestedSubnetIpv6?: string;
        readonly pinned?: boolean;
        readonly mustHold?: boolean;
    } = {},
): Promise<AllocateValue> {
    const started = performance.now();
    const outcome = await updateLedger<AllocateValue | { refused: IpamError }>(store, sliceName, (current) => {
        if (current === undefined) {
            throw notRegistered(
                store,
                sliceName,
                `declare its SliceIpam first and make cluster "${clusterName}"'s SubnetAllocation depend on it ` +
                    `(pass the SliceIpam's sliceName output as sliceName)`,
            );
        }
        const requestedIndex = requestedIndexIn(current, clusterName, request.requestedSubnet, request.requestedSubnetIpv6);
        const now = clock();
        const allocated = allocate(current, clusterName, now, { requestedIndex, pinned: request.pinned, mustHold: request.mustHold });
        if (!allocated.ok) {
            // The refusal is written too: it is what the failure-rate alert counts.
            return { ledger: countIn(current, { allocationsFailed: 1 }), result: { refused: IpamError.fromIssue(allocated.issue) } };
        }
        if (allocated.value.outcome === "existing") {
            return { ledger: current, result: allocated.value };
        }
        const ledger = countIn(allocated.ledger, {
            allocationsSucceeded: 1,
            reclaimed: allocated.value.reclaimed.length,
            allocationLatencySeconds: (performance.now() - started) / 1000,
        });
        return { ledger, result: allocated.value, at: now, note: requestNote(allocated.value, request) };
    });
    if ("refused" in outcome) {
        throw outcome.refused;
    }
    return outcome;
}

/** Marks a cluster's subnet Released. Idempotent; an unknown slice or cluster is not an error. */
export async function releaseSubnet(store: LedgerStore, sliceName: string, clusterName: string, clock: Clock = systemClock): Promise<ReleaseValue> {
    return updateLedger<ReleaseValue>(store, sliceName, (current) => {
        if (current === undefined) {
            return { ledger: current, result: { changed: false } };
        }
        const now = clock();
        const released = release(current, clusterName, now);
        const ledger = released.value.changed ? countIn(released.ledger, { releases: 1 }) : released.ledger;
        return { ledger, result: released.value, at: now };
    });
}

/** How a requested subnet shaped an allocation, for its history event. */
function requestNote(
    value: AllocateValue,
    request: { readonly requestedSubnet?: string; readonly requestedSubnetIpv6?: string; readonly pinned?: boolean },
): string | undefined {
    const requested = request.requestedSubnet ?? request.requestedSubnetIpv6;
    if (value.request === undefined || requested === undefined) {
        return undefined;
    }
    const kind = request.pinned === true ? "pinned" : "planned";
    return value.request.honoured
        ? `${kind} ${requested}`
        : `${kind} ${requested} was held by ${value.request.heldBy ?? "another cluster"}; first free subnet taken`;
}

/** What the store holds for a cluster, or undefined (slice or cluster unknown). */
export async function findSubnet(store: LedgerStore, sliceName: string, clusterName: string): Promise<Allocation | undefined> {
    const loaded = await store.load(sliceName);
    return loaded === undefined ? undefined : findAllocation(loaded.ledger, clusterName);
}

/**
 * The pool index of a requested subnet (of either family, or both naming one
 * index, in a dual-stack slice). A subnet that is not a block of the
 * pool can never be honoured, whatever other writers do: that is an error, not
 * a fallback, and not a refusal the failure counter counts.
 */
function requestedIndexIn(
    ledger: SliceLedger,
    clusterName: string,
    requestedSubnet: string | undefined,
    requestedSubnetIpv6: string | undefined,
): number | undefined {
    const pools = slicePoolsOf(ledger.spec);
    const slice = { sliceName: ledger.spec.sliceName, pool: pools.primary, ipv6Pool: pools.ipv6 };
    const located = locateRequestedPair(slice, clusterName, requestedSubnet, requestedSubnetIpv6);
    if (!located.ok) {
        throw IpamError.fromIssue(located.issue);
    }
    return located.index;
}
