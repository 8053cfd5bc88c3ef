import { cidrToString, parseCidr } from "./cidr";
import { Issue, issueOf } from "./issues";
import { indexOfSubnet, Pool, subnetTextAt } from "./pool";
import { pairedIndexable, pairedReservingRange, SlicePools } from "./slice-pools";

/**
 * The slice a request is made in: its name (for messages), its pool (the
 * IPv6 one too, for a dual-stack slice) and the ranges kept out of them.
 */
export interface RequestSlice {
    readonly sliceName: string;
    readonly pool: Pool;
    readonly ipv6Pool?: Pool;
    readonly reservedRanges?: readonly string[];
}

function poolsOf(slice: RequestSlice): SlicePools {
    return slice.ipv6Pool === undefined ? { primary: slice.pool } : { primary: slice.pool, ipv6: slice.ipv6Pool };
}

/** The pool of the slice a requested subnet names: the IPv6 pool for an IPv6 subnet of a dual-stack slice, else the primary. */
export function poolOfRequest(slice: RequestSlice, subnet: string): Pool {
    const parsed = parseCidr(subnet);
    return slice.ipv6Pool !== undefined && parsed.ok && parsed.cidr.version === 6 ? slice.ipv6Pool : slice.pool;
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

/**
 * {@link locateRequestedSubnet} for a cluster's requests of both families (a
 * dual-stack slice's IPv4 and IPv6 pins): the index they name, which must be
 * one. Undefined when neither is given.
 */
export function locateRequestedPair(
    slice: RequestSlice,
    clusterName: string,
    subnet: string | undefined,
    subnetIpv6: string | undefined,
):
    | { readonly ok: true; readonly index: number | undefined }
    | { readonly ok: false; readonly issue: Issue<"requested-subnet-invalid"> | Issue<"requested-subnets-unpaired"> } {
    const located = [subnet, subnetIpv6].map((text) => (text === undefined ? undefined : locateRequestedSubnet(slice, clusterName, text)));
    for (const one of located) {
        if (one !== undefined && !one.ok) {
            return one;
        }
    }
    const [first, second] = located.map((one) => (one?.ok === true ? one.index : undefined));
    if (first !== undefined && second !== undefined && first !== second) {
        const issue = issueOf({
            code: "requested-subnets-unpaired",
            sliceName: slice.sliceName,
            clusterName,
            subnet: subnet!,
            index: first,
            subnetIpv6: subnetIpv6!,
            indexIpv6: second,
        });
        return { ok: false, issue };
    }
    return { ok: true, index: first ?? second };
}

/** The first half of {@link checkRequestedSubnet}: the pool index of a requested subnet. */
export function locateRequestedSubnet(
    slice: RequestSlice,
    clusterName: string,
    subnet: string,
): { readonly ok: true; readonly index: number } | { readonly ok: false; readonly issue: Issue<"requested-subnet-invalid"> } {
    const pool = poolOfRequest(slice, subnet);
    const located = indexOfSubnet(pool, subnet);
    // In a dual-stack slice, an index past the smaller pool has no pair: no cluster can hold it.
    const found = located.ok && located.index >= pairedIndexable(poolsOf(slice)) ? ({ ok: false, code: "unpaired" } as const) : located;
    if (found.ok) {
        return found;
    }
    const issue = issueOf({
        code: "requested-subnet-invalid",
        sliceName: slice.sliceName,
        clusterName,
        subnet,
        reason: found.code,
        sliceSubnet: cidrToString(pool.sliceSubnet),
        subnetSize: pool.subnetSize,
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
    const reservedBy = pairedReservingRange(poolsOf(slice), slice.reservedRanges, index);
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
