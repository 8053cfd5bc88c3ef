import { describe, expect, it } from "vitest";
import { poolChange, withIpv6Pool } from "../../provider/core/dual-stack";
import { eventsOfChange } from "../../provider/core/history";
import { allocate, capacity, ledgerProblems, poolOf, release } from "../../provider/core/ledger";
import { planAllocations, projectedCapacity } from "../../provider/core/plan";
import { locateRequestedPair } from "../../provider/core/requested-subnet";
import { ipv6PoolOf, pairedReservedRuns, slicePoolsOf } from "../../provider/core/slice-pools";
import {
    checkIpv6Pool,
    checkReservedRangesLeaveRoom,
    issuesByProperty,
    sliceSpecSchema,
    storedSliceSpecSchema,
} from "../../provider/core/validation";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

const DUAL = { sliceSubnet: "10.1.0.0/16", subnetSize: 24, sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 };
const actor = { via: "library" as const };

describe("dual-stack validation", () => {
    it("accepts an IPv4 sliceSubnet with an IPv6 pool", () => {
        expect(sliceSpecSchema.safeParse({ sliceName: "blue", ...DUAL }).success).toBe(true);
    });

    it.each([
        [{ sliceSubnetIpv6: "10.2.0.0/16", subnetSizeIpv6: 64 }, "sliceSubnetIpv6", 'sliceSubnetIpv6 "10.2.0.0/16" is an IPv4 block'],
        [
            { sliceSubnetIpv6: "2001:db8::/48", subnetSizeIpv6: 64 },
            "sliceSubnetIpv6",
            'sliceSubnetIpv6 "2001:db8::/48" is not a unique local IPv6 range',
        ],
        [{ sliceSubnetIpv6: "fd00:10::/48" }, "subnetSizeIpv6", 'subnetSizeIpv6 is required with sliceSubnetIpv6 "fd00:10::/48" (e.g. 64)'],
        [{ subnetSizeIpv6: 64 }, "subnetSizeIpv6", "subnetSizeIpv6 64 is set without sliceSubnetIpv6"],
        [
            { sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 40 },
            "subnetSizeIpv6",
            "subnetSizeIpv6 must be a whole number between 48 and 120; got 40",
        ],
        [
            { sliceSubnetIpv6: "fd00:10::/64", subnetSizeIpv6: 56 },
            "subnetSizeIpv6",
            'subnetSizeIpv6 56 must be longer than the sliceSubnetIpv6 prefix /64 of "fd00:10::/64"',
        ],
    ])("refuses %j on %s", (ipv6, property, message) => {
        const parsed = sliceSpecSchema.safeParse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16", ...ipv6 });
        expect(parsed.success).toBe(false);
        const issue = issuesByProperty(parsed.error!).find((found) => found.property === property);
        expect(issue?.message).toContain(message);
    });

    it("refuses an IPv6 pool beside an IPv6 sliceSubnet, naming both", () => {
        const issues = checkIpv6Pool({ sliceSubnet: "fd00:20::/48", sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 });
        expect(issues).toEqual([
            {
                property: "sliceSubnetIpv6",
                message: expect.stringContaining('but sliceSubnet "fd00:20::/48" is IPv6; for a dual-stack slice set sliceSubnet to its IPv4 pool'),
            },
        ]);
    });

    it("a stored spec without the IPv6 pool reads as single-stack, as before", () => {
        const stored = storedSliceSpecSchema.parse({
            sliceName: "blue",
            sliceSubnet: "10.1.0.0/16",
            subnetSize: 24,
            gracePeriodSeconds: 1,
            maxClusters: 2,
        });
        expect(stored).not.toHaveProperty("sliceSubnetIpv6");
        expect(ipv6PoolOf(stored)).toBeUndefined();
    });

    it("reserved ranges must leave an index usable in both pools", () => {
        // Every /64 of a /62 is reserved: no index has a usable IPv6 subnet, whatever the IPv4 pool has.
        const issue = checkReservedRangesLeaveRoom("10.1.0.0/16", 24, ["fd00:10::/62"], { sliceSubnetIpv6: "fd00:10::/62", subnetSizeIpv6: 64 });
        expect(issue?.property).toBe("reservedRanges");
        expect(issue?.message).toContain("reservedRanges leave no index usable in both pools");
        expect(
            checkReservedRangesLeaveRoom("10.1.0.0/16", 24, ["fd00:10::/63"], { sliceSubnetIpv6: "fd00:10::/62", subnetSizeIpv6: 64 }),
        ).toBeUndefined();
    });
});

describe("dual-stack ledger", () => {
    it("gives each cluster the IPv4 and the IPv6 subnet of one index", () => {
        let { ledger } = mustAllocate(ledgerFor(DUAL), "c-0", at(0));
        const second = mustAllocate(ledger, "c-1", at(0));
        ledger = second.ledger;
        expect(ledger.allocations.map((e) => [e.clusterName, e.index, e.subnet, e.subnetIpv6])).toEqual([
            ["c-0", 0, "10.1.0.0/24", "fd00:10::/64"],
            ["c-1", 1, "10.1.1.0/24", "fd00:10:0:1::/64"],
        ]);
    });

    it("rejoin in grace returns both subnets", () => {
        let { ledger } = mustAllocate(ledgerFor({ ...DUAL, gracePeriodSeconds: 100 }), "c-0", at(0));
        ledger = release(ledger, "c-0", at(1)).ledger;
        const again = allocate(ledger, "c-0", at(2));
        expect(again.ok && [again.value.outcome, again.value.allocation.subnet, again.value.allocation.subnetIpv6]).toEqual([
            "reused",
            "10.1.0.0/24",
            "fd00:10::/64",
        ]);
    });

    it("skips an index whose subnet is reserved in either family; a range reserves only in its own family's pool", () => {
        const ledger = ledgerFor({ ...DUAL, reservedRanges: ["10.1.0.0/24", "fd00:10:0:1::/64"] });
        const { value } = mustAllocate(ledger, "c-0", at(0));
        expect([value.allocation.index, value.allocation.subnet, value.allocation.subnetIpv6]).toEqual([2, "10.1.2.0/24", "fd00:10:0:2::/64"]);
        expect(pairedReservedRuns(slicePoolsOf(ledger.spec), ledger.spec.reservedRanges)).toEqual([{ first: 0, last: 1 }]);
    });

    it("counts capacity over the indexes both pools have, exactly", () => {
        // 256 IPv4 /24s, 2^16 IPv6 /64s: 256 indexes, 2 of them reserved (one per family).
        const figures = capacity(ledgerFor({ ...DUAL, reservedRanges: ["10.1.0.0/24", "fd00:10:0:1::/64", "fd00:10:0:1000::/64"] }), at(0));
        expect([figures.totalSubnets, figures.reservedSubnets, figures.availableSubnets]).toEqual([256, 2, 254]);
        expect(figures.exact).toEqual({ totalSubnets: "256", reservedSubnets: "2", usableSubnets: "254" });
    });

    it("refuses an entry whose IPv6 subnet is not the one at its index", () => {
        const { ledger } = mustAllocate(ledgerFor(DUAL), "c-0", at(0));
        const edited = { ...ledger, allocations: [{ ...ledger.allocations[0], subnetIpv6: "fd00:10:0:7::/64" }] };
        expect(ledgerProblems(edited)).toEqual(['cluster "c-0" has IPv6 subnet fd00:10:0:7::/64, but index 0 pairs with fd00:10::/64']);
    });
});

describe("adding the IPv6 pool", () => {
    const ipv4 = { sliceSubnet: "10.1.0.0/16", subnetSize: 24, gracePeriodSeconds: 100 };

    it("gives every cluster its paired IPv6 subnet, renumbering nobody, and records the change", () => {
        let ledger = ledgerFor(ipv4);
        for (const cluster of ["c-0", "c-1", "c-2"]) {
            ledger = mustAllocate(ledger, cluster, at(0)).ledger;
        }
        ledger = release(ledger, "c-1", at(1)).ledger;
        const added = withIpv6Pool(ledger, { sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 }, at(2));
        expect(added.ok).toBe(true);
        const after = added.ok ? added.ledger : ledger;
        expect(after.allocations.map((e) => [e.clusterName, e.status, e.subnet, e.subnetIpv6])).toEqual([
            ["c-0", "Allocated", "10.1.0.0/24", "fd00:10::/64"],
            ["c-1", "Released", "10.1.1.0/24", "fd00:10:0:1::/64"],
            ["c-2", "Allocated", "10.1.2.0/24", "fd00:10:0:2::/64"],
        ]);
        expect(eventsOfChange(ledger, after, { at: at(2), actor }).map((event) => [event.action, event.detail])).toEqual([
            ["settings-changed", "IPv6 pool fd00:10::/48 in /64 subnets added (dual-stack)"],
        ]);
    });

    it("refuses when a held index has no usable IPv6 subnet, naming each cluster and why", () => {
        let ledger = ledgerFor({ ...ipv4, reservedRanges: ["fd00:10::/64"] });
        for (const cluster of ["c-0", "c-1", "c-2", "c-3", "c-4"]) {
            ledger = mustAllocate(ledger, cluster, at(0)).ledger;
        }
        const refused = withIpv6Pool(ledger, { sliceSubnetIpv6: "fd00:10::/62", subnetSizeIpv6: 64 }, at(1));
        expect(refused.ok).toBe(false);
        expect(refused.ok ? "" : refused.issue.message).toBe(
            'slice "blue": the IPv6 pool fd00:10::/62 (/64 subnets) has no usable subnet paired with ' +
                'cluster "c-0" (10.1.0.0/24, index 0: inside reserved range fd00:10::/64), ' +
                'cluster "c-4" (10.1.4.0/24, index 4: past the pool\'s end); every cluster keeps its index and gets the IPv6 subnet ' +
                "at the same index, so choose a larger sliceSubnetIpv6 or a subnetSizeIpv6 that gives more subnets, or narrow the " +
                "reserved ranges, then run the preview again",
        );
    });

    it("a released subnet past its grace period holds nothing: it is reclaimed, not refused", () => {
        let ledger = ledgerFor(ipv4);
        for (const cluster of ["c-0", "c-1", "c-2", "c-3", "c-4"]) {
            ledger = mustAllocate(ledger, cluster, at(0)).ledger;
        }
        ledger = release(ledger, "c-4", at(1)).ledger;
        const added = withIpv6Pool(ledger, { sliceSubnetIpv6: "fd00:10::/62", subnetSizeIpv6: 64 }, at(500));
        expect(added.ok && added.reclaimed.map((e) => e.clusterName)).toEqual(["c-4"]);
    });

    it.each([
        [{}, { sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 }, "ipv6-pool-added"],
        [{ sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 }, { sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 }, "same"],
        [{ sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 }, { sliceSubnetIpv6: "fd00:20::/48", subnetSizeIpv6: 64 }, "different"],
        [{ sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 }, { sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 56 }, "different"],
        [{ sliceSubnetIpv6: "fd00:10::/48", subnetSizeIpv6: 64 }, {}, "different"],
        [{}, {}, "same"],
    ])("pools %j declared as %j: %s", (registered, declared, change) => {
        const base = { sliceName: "blue", sliceSubnet: "10.1.0.0/16", subnetSize: 24 };
        expect(poolChange({ ...base, ...registered }, { ...base, ...declared })).toBe(change);
    });
});

describe("dual-stack plans and pins", () => {
    const slice = { sliceName: "blue", pool: poolOf(DUAL), ipv6Pool: ipv6PoolOf(DUAL) };

    it("plans both families of each index, pins of either family included", () => {
        const planned = planAllocations({
            ...slice,
            clusters: ["a", "b", "c", "d"],
            pins: { b: "10.1.5.0/24", d: "10.1.7.0/24" },
            pinsIpv6: { c: "fd00:10:0:6::/64", d: "fd00:10:0:7::/64" },
            now: at(0),
        });
        expect(planned.ok && Object.entries(planned.plan).map(([name, p]) => [name, p.index, p.subnet, p.subnetIpv6, p.source])).toEqual([
            ["b", 5, "10.1.5.0/24", "fd00:10:0:5::/64", "pinned"],
            ["c", 6, "10.1.6.0/24", "fd00:10:0:6::/64", "pinned"],
            ["d", 7, "10.1.7.0/24", "fd00:10:0:7::/64", "pinned"],
            ["a", 0, "10.1.0.0/24", "fd00:10::/64", "planned"],
        ]);
    });

    it("refuses a cluster's two pins that name different indexes, saying which index each names", () => {
        const located = locateRequestedPair(slice, "a", "10.1.5.0/24", "fd00:10:0:6::/64");
        expect(located.ok ? "" : located.issue.message).toBe(
            'the pins of cluster "a" in slice "blue" name different indexes: 10.1.5.0/24 is index 5, fd00:10:0:6::/64 is index 6; ' +
                "a cluster holds the subnets of one index in both pools, so pin the pair of one index, or pin one family only",
        );
        expect(located.ok ? "" : located.issue.code).toBe("requested-subnets-unpaired");
    });

    it("refuses a pin past the end of the smaller pool", () => {
        const small = { ...slice, ipv6Pool: ipv6PoolOf({ ...DUAL, sliceSubnetIpv6: "fd00:10::/62" }) };
        const located = locateRequestedPair(small, "a", "10.1.5.0/24", undefined);
        expect(located.ok ? undefined : [located.issue.code, "reason" in located.issue ? located.issue.reason : undefined]).toEqual([
            "requested-subnet-invalid",
            "unpaired",
        ]);
    });

    it("projects capacity over the indexes both pools have", () => {
        const input = { ...slice, ipv6Pool: ipv6PoolOf({ ...DUAL, sliceSubnetIpv6: "fd00:10::/62" }), clusters: ["a"], now: at(0) };
        const planned = planAllocations(input);
        expect(planned.ok && projectedCapacity(input, planned.plan, 10).totalSubnets).toBe(4);
    });
});
