import { describe, expect, it } from "vitest";
import {
    allocate,
    capacity,
    heldInReserved,
    lowestFreeIndex,
    poolOf,
    release,
    reservedOverlapsWithHeld,
    SliceLedger,
    withSettings,
} from "../../provider/core/ledger";
import { planAllocations, projectedCapacity } from "../../provider/core/plan";
import { reservedRuns } from "../../provider/core/reserved";
import { checkReservedRangesLeaveRoom, issuesByProperty, sliceSpecSchema } from "../../provider/core/validation";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

const POOL = poolOf({ sliceSubnet: "10.1.0.0/16", subnetSize: 24 });

function reserving(ranges: string[], ledger: SliceLedger = ledgerFor()): SliceLedger {
    return withSettings(ledger, { ...ledger.spec, reservedRanges: ranges });
}

describe("reservedRuns", () => {
    it.each([
        [["10.1.4.0/24"], [{ first: 4, last: 4 }]],
        [["10.1.4.128/25"], [{ first: 4, last: 4 }]], // part of a subnet reserves all of it
        [["10.1.4.0/22"], [{ first: 4, last: 7 }]],
        [["10.0.0.0/8"], [{ first: 0, last: 255 }]], // wider than the pool: clipped to it
        [
            ["10.1.255.255/32", "10.1.0.0/24"],
            [
                { first: 0, last: 0 },
                { first: 255, last: 255 },
            ],
        ],
        [["10.1.1.0/24", "10.1.2.0/23", "10.1.3.0/24"], [{ first: 1, last: 3 }]], // adjacent and overlapping merge
        [["192.168.0.0/16", "10.2.0.0/16"], []], // outside the pool: ignored
    ])("%j → %j", (ranges, runs) => {
        expect(reservedRuns(POOL, ranges)).toEqual(runs);
    });

    it("costs one run for a /8 of /30s reserved whole, whatever the pool's size", () => {
        const pool = poolOf({ sliceSubnet: "10.0.0.0/8", subnetSize: 30 });
        expect(reservedRuns(pool, ["10.0.0.0/9"])).toEqual([{ first: 0, last: 2 ** 21 - 1 }]);
    });
});

describe("first-fit around reserved ranges", () => {
    it("skips reserved subnets and held ones alike", () => {
        let ledger = reserving(["10.1.0.0/23", "10.1.3.0/24"]);
        const subnets: string[] = [];
        for (const cluster of ["a", "b", "c"]) {
            const result = mustAllocate(ledger, cluster, at(0));
            ledger = result.ledger;
            subnets.push(result.value.allocation.subnet);
        }
        expect(subnets).toEqual(["10.1.2.0/24", "10.1.4.0/24", "10.1.5.0/24"]);
    });

    it("finds the first free index past a reserved run in one step per run", () => {
        const pool = poolOf({ sliceSubnet: "10.0.0.0/8", subnetSize: 30 });
        expect(lowestFreeIndex([], reservedRuns(pool, ["10.0.0.0/9"]))).toBe(2 ** 21);
    });

    it("refuses a pin inside a reserved range with its own code, naming the range", () => {
        const result = allocate(reserving(["10.1.4.0/22"]), "a", at(0), { requestedIndex: 5, pinned: true });
        expect(result.ok).toBe(false);
        expect(!result.ok && result.issue.code).toBe("requested-subnet-reserved");
        expect(!result.ok && result.issue.message).toBe(
            'pinned subnet 10.1.5.0/24 for cluster "a" is inside reserved range 10.1.4.0/22 of slice "blue"; ' +
                "pin a subnet outside the reservedRanges, or remove the pin",
        );
    });

    it("does not honour a plan inside a reserved range: first-fit, saying which range", () => {
        const result = mustAllocateWith(reserving(["10.1.0.0/24"]), "a", { requestedIndex: 0 });
        expect(result.value.allocation.subnet).toBe("10.1.1.0/24");
        expect(result.value.request).toEqual({ index: 0, honoured: false, heldBy: undefined, reservedBy: "10.1.0.0/24" });
    });

    it("reports exhaustion when every subnet is held or reserved", () => {
        const ledger = reserving([
            "10.1.0.0/17",
            "10.1.128.0/18",
            "10.1.192.0/19",
            "10.1.224.0/20",
            "10.1.240.0/21",
            "10.1.248.0/22",
            "10.1.252.0/23",
        ]);
        const one = mustAllocate(ledger, "a", at(0));
        expect(one.value.allocation.subnet).toBe("10.1.254.0/24");
        const two = mustAllocate(one.ledger, "b", at(0));
        expect(two.value.allocation.subnet).toBe("10.1.255.0/24");
        const three = allocate(two.ledger, "c", at(0));
        expect(!three.ok && three.issue.code).toBe("no-available-subnets");
    });
});

function mustAllocateWith(ledger: SliceLedger, cluster: string, request: Parameters<typeof allocate>[3]) {
    const result = allocate(ledger, cluster, at(0), request);
    if (!result.ok) {
        throw new Error(result.issue.message);
    }
    return result;
}

describe("plans that must hold", () => {
    it("fail naming the slice, cluster, planned subnet, holder and the subnet free now", () => {
        const ledger = mustAllocate(mustAllocate(ledgerFor(), "a", at(0)).ledger, "other", at(0)).ledger;
        const result = allocate(ledger, "b", at(1), { requestedIndex: 1, mustHold: true });
        expect(result.ok).toBe(false);
        expect(!result.ok && result.issue).toMatchObject({
            code: "planned-subnet-not-held",
            sliceName: "blue",
            clusterName: "b",
            plannedSubnet: "10.1.1.0/24",
            heldBy: "other",
            freeSubnet: "10.1.2.0/24",
        });
        expect(!result.ok && result.issue.message).toBe(
            'slice "blue": the planned subnet 10.1.1.0/24 for cluster "b" was taken by cluster "other" after the preview, ' +
                "and planMustHold is set, so nothing was allocated. The lowest free subnet now is 10.1.2.0/24. " +
                "Run the preview again and review the new plan, then run up.",
        );
    });

    it("fail when a reserved range now covers the planned subnet", () => {
        const result = allocate(reserving(["10.1.0.0/24"]), "a", at(0), { requestedIndex: 0, mustHold: true });
        expect(!result.ok && result.issue).toMatchObject({ code: "planned-subnet-not-held", reservedBy: "10.1.0.0/24", freeSubnet: "10.1.1.0/24" });
    });

    it("allocate the plan when it is still free, and fall back by default", () => {
        const ledger = mustAllocate(ledgerFor(), "other", at(0)).ledger;
        expect(mustAllocateWith(ledger, "b", { requestedIndex: 3, mustHold: true }).value.allocation.subnet).toBe("10.1.3.0/24");
        expect(mustAllocateWith(ledger, "b", { requestedIndex: 0 }).value.allocation.subnet).toBe("10.1.1.0/24");
    });
});

describe("capacity with reserved ranges", () => {
    it("excludes reserved subnets from available, and from utilization's denominator", () => {
        let ledger = reserving(["10.1.0.0/18"]); // 64 of 256
        ledger = mustAllocate(ledger, "a", at(0)).ledger;
        expect(capacity(ledger, at(0))).toEqual({
            totalSubnets: 256,
            activeSubnets: 1,
            releasedSubnets: 0,
            reservedSubnets: 64,
            reservedHeld: 0,
            availableSubnets: 191,
            utilization: 1 / 192,
            exact: { totalSubnets: "256", reservedSubnets: "64", usableSubnets: "192" },
        });
    });

    it("counts a holder kept inside a newly reserved range once, as held and usable", () => {
        let ledger = mustAllocate(ledgerFor(), "a", at(0)).ledger; // 10.1.0.0/24
        ledger = reserving(["10.1.0.0/23"], ledger);
        const figures = capacity(ledger, at(0));
        expect(figures).toMatchObject({ reservedSubnets: 2, reservedHeld: 1, activeSubnets: 1, availableSubnets: 254, utilization: 1 / 255 });
        expect(heldInReserved(ledger, at(0)).map(({ allocation, range }) => [allocation.clusterName, range])).toEqual([["a", "10.1.0.0/23"]]);
    });

    it("reports the capacity change of an allocation exactly", () => {
        const ledger = reserving(["10.1.0.0/24"]);
        const result = mustAllocate(ledger, "a", at(0));
        expect(result.value.capacity).toEqual({ before: capacity(ledger, at(0)), after: capacity(result.ledger, at(0)) });
    });
});

describe("changing reserved ranges", () => {
    it("finds new ranges over held subnets (Allocated, InUse, Released in grace), naming the clusters", () => {
        let ledger = ledgerFor({ gracePeriodSeconds: 100 });
        for (const cluster of ["a", "b", "c"]) {
            ledger = mustAllocate(ledger, cluster, at(0)).ledger;
        }
        ledger = release(ledger, "b", at(10)).ledger;
        const issues = reservedOverlapsWithHeld(ledger, ["10.1.0.0/22", "10.9.0.0/16"], at(50));
        expect(issues.map((issue) => [issue.range, issue.holders.map((h) => h.clusterName)])).toEqual([["10.1.0.0/22", ["a", "b", "c"]]]);
        expect(issues[0].message).toContain(
            'overlaps subnets held by cluster "a" (10.1.0.0/24), cluster "b" (10.1.1.0/24), cluster "c" (10.1.2.0/24)',
        );
        expect(issues[0].message).toContain("acceptReservedOverlaps: true");
        // Past its grace period a Released subnet holds nothing.
        expect(reservedOverlapsWithHeld(ledger, ["10.1.1.0/24"], at(200))).toEqual([]);
    });

    it("does not ask again about ranges already stored", () => {
        const ledger = reserving(["10.1.0.0/24"], mustAllocate(ledgerFor(), "a", at(0)).ledger);
        expect(reservedOverlapsWithHeld(ledger, ["10.1.0.0/24"], at(0))).toEqual([]);
    });

    it("stores no reserved ranges as none, and removing a range frees nothing held", () => {
        let ledger = reserving(["10.1.0.0/24"], mustAllocate(ledgerFor(), "a", at(0)).ledger);
        ledger = reserving([], ledger);
        expect("reservedRanges" in ledger.spec).toBe(false);
        expect(ledger.allocations.map((e) => e.clusterName)).toEqual(["a"]);
    });
});

describe("the planner with reserved ranges", () => {
    const plan = (ledger: SliceLedger | undefined, clusters: string[], extra: { pins?: Record<string, string>; reservedRanges?: string[] } = {}) =>
        planAllocations({ sliceName: "blue", pool: POOL, ledger, clusters, now: at(0), ...extra });

    it("plans around the program's ranges, which the SliceIpam applies before the allocations", () => {
        const planned = plan(undefined, ["a", "b"], { reservedRanges: ["10.1.0.0/24", "10.1.2.0/24"] });
        expect(planned.ok && Object.values(planned.plan).map((p) => p.subnet)).toEqual(["10.1.1.0/24", "10.1.3.0/24"]);
    });

    it("plans around the ledger's ranges when the program gives none", () => {
        const planned = plan(reserving(["10.1.0.0/23"]), ["a"]);
        expect(planned.ok && planned.plan.a.subnet).toBe("10.1.2.0/24");
    });

    it("refuses a pin inside a reserved range", () => {
        const planned = plan(undefined, ["a"], { pins: { a: "10.1.7.0/24" }, reservedRanges: ["10.1.4.0/22"] });
        expect(!planned.ok && planned.issues.map((issue) => issue.code)).toEqual(["requested-subnet-reserved"]);
    });

    it("projects capacity with reserved subnets excluded", () => {
        const input = { sliceName: "blue", pool: POOL, clusters: ["a"], now: at(0), reservedRanges: ["10.1.0.0/18"] };
        const planned = planAllocations(input);
        expect(planned.ok && projectedCapacity(input, planned.plan, 4096)).toMatchObject({ reservedSubnets: 64, availableSubnets: 191 });
    });
});

describe("reservedRanges input", () => {
    const problems = (input: Record<string, unknown>) => {
        const parsed = sliceSpecSchema.safeParse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16", ...input });
        return parsed.success ? [] : issuesByProperty(parsed.error);
    };

    it("accepts IPv4 ranges anywhere, in the pool or not, and no list at all", () => {
        expect(problems({ reservedRanges: ["10.1.0.0/24", "192.168.0.0/16", "8.8.8.8/32"] })).toEqual([]);
        expect(problems({})).toEqual([]);
        expect(sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16" })).not.toHaveProperty("reservedRanges");
    });

    it("reports every bad range in one failure on reservedRanges, each with its fix", () => {
        expect(problems({ reservedRanges: ["10.1.0.1/24", "nope", "fd00::1/64", 7] })).toEqual([
            {
                property: "reservedRanges",
                message:
                    'reservedRanges[0] "10.1.0.1/24" has host bits set; did you mean "10.1.0.0/24"?; ' +
                    'reservedRanges[1] "nope" is not valid CIDR notation (expected e.g. "10.1.0.0/24"); ' +
                    'reservedRanges[2] "fd00::1/64" has host bits set; did you mean "fd00::/64"?; ' +
                    'reservedRanges[3] 7 must be a CIDR string such as "10.1.0.0/24"',
            },
        ]);
    });

    it("refuses a value that is not a list, and keeps other properties' failures apart", () => {
        expect(
            problems({ reservedRanges: "10.1.0.0/24", maxClusters: 0 })
                .map((issue) => issue.property)
                .sort(),
        ).toEqual(["maxClusters", "reservedRanges"]);
    });

    it("refuses ranges that leave no subnet to hand out", () => {
        expect(checkReservedRangesLeaveRoom("10.1.0.0/16", 24, ["10.1.0.0/17", "10.1.128.0/17"])?.message).toBe(
            "reservedRanges cover every /24 subnet of 10.1.0.0/16, so no cluster could join; reserve less of the pool",
        );
        expect(checkReservedRangesLeaveRoom("10.1.0.0/16", 24, ["10.1.0.0/17"])).toBeUndefined();
    });
});
