import { cidrToString } from "./cidr";
import { Issue, issueOf } from "./issues";
import { indexOfSubnet, Pool, subnetTextAt } from "./pool";
import { reservingRange } from "./reserved";

/** The slice a request is made in: its name (for messages), its pool and the ranges kept out of it. */
export interface RequestSlice {
    readonly sliceName: string;
    readonly pool: Pool;
    readonly reservedRanges?: readonly string[];
}

/** Who holds a pool index now (undefined: nobody). */
export type HolderOf = (index: number) => string | undefined;

/** A request's index, and whether it can be honoured or, when a plan's is not, who holds it or which range reserves it. */
export type ClaimedIndex = {
    readonly ok: true;
    readonly index: number;
    readonly honoured: boolean;
    readonly heldBy?: string;
    readonly reservedBy?: string;
};

/** Why a pin cannot be claimed. */
export type ClaimIssue = Issue<"requested-subnet-taken"> | Issue<"requested-subnet-reserved">;

export type RequestedSubnetResult = ClaimedIndex | { readonly ok: false; readonly issue: Issue<"requested-subnet-invalid"> | ClaimIssue };

/**
 * The rule for a requested (pinned or planned) subnet, in one place for the
 * check, the plan and the allocation: it must be a `subnetSize` block of the
 * pool, whatever other writers do; in a reserved range or held by another
 * cluster, a pin fails and a plan is not honoured (the caller falls back to
 * first-fit, or fails when the plan must hold).
 */
export function checkRequestedSubnet(
    slice: RequestSlice,
    clusterName: string,
    subnet: string,
    holderOf: HolderOf,
    pinned: boolean,
): RequestedSubnetResult {
    const located = locateRequestedSubnet(slice, clusterName, subnet);
    return located.ok ? claimRequestedIndex(slice, clusterName, located.index, holderOf, pinned) : located;
}

/** The first half of {@link checkRequestedSubnet}: the pool index of a requested subnet. */
export function locateRequestedSubnet(
    slice: RequestSlice,
    clusterName: string,
    subnet: string,
): { readonly ok: true; readonly index: number } | { readonly ok: false; readonly issue: Issue<"requested-subnet-invalid"> } {
    const found = indexOfSubnet(slice.pool, subnet);
    if (found.ok) {
        return found;
    }
    const issue = issueOf({
        code: "requested-subnet-invalid",
        sliceName: slice.sliceName,
        clusterName,
        subnet,
        reason: found.code,
        sliceSubnet: cidrToString(slice.pool.sliceSubnet),
        subnetSize: slice.pool.subnetSize,
    });
    return { ok: false, issue };
}

/** The second half of {@link checkRequestedSubnet}, for a request already known to be a block of the pool. */
export function claimRequestedIndex(
    slice: RequestSlice,
    clusterName: string,
    index: number,
    holderOf: HolderOf,
    pinned: boolean,
): ClaimedIndex | { readonly ok: false; readonly issue: ClaimIssue } {
    const reservedBy = reservingRange(slice.pool, slice.reservedRanges, index);
    if (reservedBy !== undefined) {
        if (!pinned) {
            return { ok: true, index, honoured: false, reservedBy };
        }
        const subnet = subnetTextAt(slice.pool, index);
        return { ok: false, issue: issueOf({ code: "requested-subnet-reserved", sliceName: slice.sliceName, clusterName, subnet, reservedBy }) };
    }
    const heldBy = holderOf(index);
    if (heldBy === undefined) {
        return { ok: true, index, honoured: true };
    }
    if (!pinned) {
        return { ok: true, index, honoured: false, heldBy };
    }
    const subnet = subnetTextAt(slice.pool, index);
    return { ok: false, issue: issueOf({ code: "requested-subnet-taken", sliceName: slice.sliceName, clusterName, subnet, index, heldBy }) };
}
