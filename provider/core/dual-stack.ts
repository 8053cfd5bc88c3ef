import { Issue, issueOf } from "./issues";
import { Allocation, reclaim, SliceLedger, withPairedSubnet } from "./ledger";
import { pairedIndexable, slicePoolsOf } from "./slice-pools";
import { SliceSpec } from "./validation";
import { reservedRuns, reservingRange, runContaining } from "./reserved";

/** The IPv6 pool added to a single-stack IPv4 slice. */
export interface Ipv6Pool {
    readonly sliceSubnetIpv6: string;
    readonly subnetSizeIpv6: number;
}

export type Ipv6PoolResult =
    | { readonly ok: true; readonly ledger: SliceLedger; readonly reclaimed: readonly Allocation[] }
    | { readonly ok: false; readonly issue: Issue<"ipv6-pool-unpairable"> };

/**
 * Makes an IPv4 slice dual-stack, once: every cluster keeps its index and its
 * IPv4 subnet, and gets the IPv6 subnet at the same index. Refused (nothing
 * changes) when an index a cluster holds has no usable IPv6 subnet: past the
 * IPv6 pool's end, or inside a reserved range the slice already lists (ranges
 * added with the pool are checked as any added range is). Released entries
 * whose grace period is over are reclaimed first: nobody holds them. The
 * pools must be valid together (validation.ts); the caller checks that the
 * slice has no IPv6 pool yet.
 */
export function withIpv6Pool(ledger: SliceLedger, pool: Ipv6Pool, now: Date): Ipv6PoolResult {
    const { ledger: held, reclaimed } = reclaim(ledger, now);
    const spec = { ...held.spec, ...pool };
    const pools = slicePoolsOf(spec);
    const limit = pairedIndexable(pools);
    const ipv6 = pools.ipv6!;
    const runs = reservedRuns(ipv6, held.spec.reservedRanges);
    const unpairable = held.allocations
        .filter((entry) => entry.index >= limit || runContaining(runs, entry.index) !== undefined)
        .map((entry) => ({
            clusterName: entry.clusterName,
            subnet: entry.subnet,
            index: entry.index,
            ...(entry.index >= limit ? {} : { reservedBy: reservingRange(ipv6, held.spec.reservedRanges, entry.index) }),
        }));
    if (unpairable.length > 0) {
        return {
            ok: false,
            issue: issueOf({ code: "ipv6-pool-unpairable", sliceName: spec.sliceName, ...pool, holders: unpairable }),
        };
    }
    const allocations = held.allocations.map((entry) => withPairedSubnet(pools, entry));
    return { ok: true, ledger: { ...held, spec, allocations }, reclaimed };
}

/** How a slice's pools as declared differ from the pools registered. */
export type PoolChange = "same" | "ipv6-pool-added" | "different";

/**
 * Compares the declared pools with the registered ones: the same, the one
 * allowed change (an IPv6 pool added to a slice without one), or another
 * change, which needs a new slice.
 */
export function poolChange(registered: PoolSettingsOf, declared: PoolSettingsOf): PoolChange {
    if (
        registered.sliceName !== declared.sliceName ||
        registered.sliceSubnet !== declared.sliceSubnet ||
        registered.subnetSize !== declared.subnetSize
    ) {
        return "different";
    }
    if (registered.sliceSubnetIpv6 === declared.sliceSubnetIpv6 && registered.subnetSizeIpv6 === declared.subnetSizeIpv6) {
        return "same";
    }
    return registered.sliceSubnetIpv6 === undefined && declared.sliceSubnetIpv6 !== undefined ? "ipv6-pool-added" : "different";
}

type PoolSettingsOf = Pick<SliceSpec, "sliceName" | "sliceSubnet" | "subnetSize" | "sliceSubnetIpv6" | "subnetSizeIpv6">;

/** An IPv6 pool's addition undone: the slice as it was before {@link withIpv6Pool}, its clusters without IPv6 subnets. */
export function withoutIpv6Pool(ledger: SliceLedger): SliceLedger {
    const { sliceSubnetIpv6: _pool, subnetSizeIpv6: _size, ...spec } = ledger.spec;
    return { ...ledger, spec, allocations: ledger.allocations.map(({ subnetIpv6: _subnet, ...entry }) => entry) };
}
