import { describe, expect, it } from "vitest";
import { release, SliceLedger, withSettings } from "../../provider/core/ledger";
import { renderTable } from "../../cli/format";
import {
    ALLOCATION_COLUMNS,
    allocationViews,
    checkClusters,
    checkSummary,
    reservedHoldersSummary,
    SAVINGS_COLUMNS,
    savingsReport,
    savingsRows,
    sliceStatus,
    STATUS_COLUMNS,
} from "../../cli/views";
import { at, ledgerFor, mustAllocate } from "../core/ledger-fixtures";

function withClusters(ledger: SliceLedger, clusters: string[], when = at(60)): SliceLedger {
    return clusters.reduce((current, cluster) => mustAllocate(current, cluster, when).ledger, ledger);
}

function released(ledger: SliceLedger, cluster: string, when: Date): SliceLedger {
    return release(ledger, cluster, when).ledger;
}

describe("status", () => {
    it("shows the guide's kubectl get sliceipam row, plus utilization", () => {
        const ledger = withClusters(ledgerFor({ sliceName: "my-slice" }), ["cluster-1", "cluster-2"]);
        const row = sliceStatus(ledger, at(300));
        expect(row).toMatchObject({ availableSubnets: 254, totalSubnets: 256, allocatedSubnets: 2, utilization: 2 / 256, ageSeconds: 300 });
        expect(renderTable(STATUS_COLUMNS, [row])).toBe(
            "NAME       SLICE SUBNET   SUBNET SIZE   AVAILABLE   TOTAL   UTILIZATION   AGE\n" +
                "my-slice   10.1.0.0/16    24            254         256     0.8%          5m\n",
        );
    });
});

describe("a dual-stack slice", () => {
    const ledger = withClusters(ledgerFor({ sliceName: "duo", sliceSubnet: "10.1.0.0/16", sliceSubnetIpv6: "fd00:1::/48", subnetSizeIpv6: 64 }), [
        "cluster-1",
        "cluster-2",
    ]);

    it("status shows both pools and sizes, comma-separated, and gives them in JSON", () => {
        const row = sliceStatus(ledger, at(300));
        expect(row).toMatchObject({ sliceSubnet: "10.1.0.0/16", sliceSubnetIpv6: "fd00:1::/48", subnetSizeIpv6: 64, totalSubnets: 256 });
        expect(renderTable(STATUS_COLUMNS, [row])).toBe(
            "NAME   SLICE SUBNET              SUBNET SIZE   AVAILABLE   TOTAL   UTILIZATION   AGE\n" +
                "duo    10.1.0.0/16,fd00:1::/48   24,64         254         256     0.8%          5m\n",
        );
        expect(sliceStatus(ledgerFor(), at(0))).not.toHaveProperty("sliceSubnetIpv6");
    });

    it("show gives each cluster both subnets of its index", () => {
        const views = allocationViews(ledger, at(300));
        expect(views.map((view) => [view.clusterName, view.subnet, view.subnetIpv6])).toEqual([
            ["cluster-1", "10.1.0.0/24", "fd00:1::/64"],
            ["cluster-2", "10.1.1.0/24", "fd00:1:0:1::/64"],
        ]);
        expect(renderTable(ALLOCATION_COLUMNS, views).split("\n")[1]).toMatch(/^cluster-1\s+10\.1\.0\.0\/24,fd00:1::\/64\s+Allocated/);
    });
});

describe("show", () => {
    const ledger = released(
        released(withClusters(ledgerFor({ gracePeriodSeconds: 86_400 }), ["cluster-1", "cluster-2", "cluster-3"]), "cluster-2", at(3600)),
        "cluster-3",
        at(0.5 * 3600),
    );

    it("gives Released entries their grace period's end and what is left of it", () => {
        const views = allocationViews(ledger, at(5 * 3600));
        expect(views.map((v) => [v.clusterName, v.status, v.graceLeftSeconds, v.reclaimable])).toEqual([
            ["cluster-1", "Allocated", undefined, false],
            ["cluster-2", "Released", 20 * 3600, false],
            ["cluster-3", "Released", 19.5 * 3600, false],
        ]);
        expect(views[1].graceEndsAt).toBe(at(3600 + 86_400).toISOString());
        expect(renderTable(ALLOCATION_COLUMNS, views)).toBe(
            [
                "CLUSTER     SUBNET        STATUS      ALLOCATED              RELEASED               GRACE LEFT",
                "cluster-1   10.1.0.0/24   Allocated   2026-01-01T00:01:00Z   -                      -",
                "cluster-2   10.1.1.0/24   Released    2026-01-01T00:01:00Z   2026-01-01T01:00:00Z   20h",
                "cluster-3   10.1.2.0/24   Released    2026-01-01T00:01:00Z   2026-01-01T00:30:00Z   19h",
                "",
            ].join("\n"),
        );
    });

    it("says expired once the grace period is over", () => {
        const views = allocationViews(ledger, at(3600 + 86_400));
        expect(views[1]).toMatchObject({ graceLeftSeconds: 0, reclaimable: true });
        expect(ALLOCATION_COLUMNS[5].cell(views[1])).toBe("expired");
    });
});

describe("check", () => {
    const ledger = released(withClusters(ledgerFor(), ["a", "b", "old", "gone"]), "gone", at(100));

    it("is consistent when the expected clusters are exactly the active ones", () => {
        const report = checkClusters(ledger, ["old", "b", "a"]);
        expect(report).toMatchObject({ consistent: true, matched: ["a", "b", "old"], missing: [], unexpected: [] });
        expect(checkSummary(report)).toBe('slice "blue": consistent; all 3 expected clusters hold a subnet and no other cluster does.');
    });

    it("names expected clusters without an active subnet and active clusters not expected", () => {
        const report = checkClusters(ledger, ["a", "b", "gone", "new"]);
        expect(report).toMatchObject({ consistent: false, matched: ["a", "b"], missing: ["gone", "new"], unexpected: ["old"] });
        expect(report.clusters.map((c) => [c.clusterName, c.expected, c.ledgerStatus ?? null, c.result])).toEqual([
            ["a", true, "Allocated", "ok"],
            ["b", true, "Allocated", "ok"],
            ["gone", true, "Released", "missing"],
            ["new", true, null, "missing"],
            ["old", false, "Allocated", "unexpected"],
        ]);
        expect(checkSummary(report)).toBe(
            'slice "blue": mismatch; 2 expected cluster(s) hold no active subnet (gone, new): run `pulumi up` for the ' +
                "stack that declares their SubnetAllocations; 1 cluster(s) hold a subnet but are not expected (old): remove " +
                "their SubnetAllocations (they are released, then reclaimed after the grace period), or add them to the expected list.",
        );
    });

    it("treats a Released cluster that is not expected as consistent (it left)", () => {
        expect(checkClusters(ledger, ["a", "b", "old"]).clusters.find((c) => c.clusterName === "gone")?.result).toBe("ok");
    });
});

describe("savings", () => {
    it("reproduces the guide's example: 10 slices of /16 with 3 clusters each save 98.8 %", () => {
        const ledgers = Array.from({ length: 10 }, (_, i) =>
            withClusters(ledgerFor({ sliceName: `slice-${i}`, sliceSubnet: `10.${i}.0.0/16` }), ["c1", "c2", "c3"]),
        );
        const report = savingsReport(ledgers, at(3600));
        expect(report.total).toEqual({
            slices: 10,
            clusters: 30,
            staticAddresses: 655_360,
            dynamicAddresses: 7_680,
            savedAddresses: 647_680,
            savings: 1 - 7_680 / 655_360,
        });
        expect(renderTable(SAVINGS_COLUMNS, savingsRows(report)).split("\n").at(-2)).toBe(
            "TOTAL                   30         655,360      7,680         647,680     98.8%",
        );
    });

    it("counts Released subnets still in grace as held, and expired ones as free", () => {
        const ledger = released(withClusters(ledgerFor({ gracePeriodSeconds: 3600 }), ["a", "b"]), "b", at(100));
        expect(savingsReport([ledger], at(200)).slices[0]).toMatchObject({ clusters: 1, heldSubnets: 2, dynamicAddresses: 512 });
        expect(savingsReport([ledger], at(100 + 3600)).slices[0]).toMatchObject({ clusters: 1, heldSubnets: 1, dynamicAddresses: 256 });
    });

    it("counts a dual-stack slice in each family: its IPv4 pool among the IPv4 slices, its IPv6 pool among the IPv6 ones", () => {
        // 256 usable indexes (the smaller pool), 2 clusters, each holding a /24 and a /120.
        const dual = withClusters(ledgerFor({ sliceName: "duo", sliceSubnet: "10.1.0.0/16", sliceSubnetIpv6: "fd00:1::/104", subnetSizeIpv6: 120 }), [
            "a",
            "b",
        ]);
        const report = savingsReport([dual], at(60));
        expect(report.slices[0]).toMatchObject({ sliceSubnet: "10.1.0.0/16", staticAddresses: 65_536, dynamicAddresses: 512 });
        expect(report.slices[0].ipv6Pool).toMatchObject({
            sliceSubnet: "fd00:1::/104",
            ipVersion: 6,
            staticAddresses: 65_536,
            dynamicAddresses: 512,
        });
        expect(report.total).toMatchObject({ slices: 1, clusters: 2, staticAddresses: 65_536 });
        expect(report.totalIpv6).toMatchObject({ slices: 1, clusters: 2, staticAddresses: 65_536 });
        expect(savingsRows(report).map((row) => row.name)).toEqual(["duo", "duo IPv6", "TOTAL IPv4", "TOTAL IPv6"]);
    });

    it("reports no savings for no slices", () => {
        expect(savingsReport([], at(0)).total).toMatchObject({ staticAddresses: 0, savings: 0 });
    });
});

describe("reserved ranges in the views", () => {
    const reserving = (ledger: SliceLedger, ranges: string[]) => withSettings(ledger, { ...ledger.spec, reservedRanges: ranges });

    it("status shows the ranges and the subnets they take, and utilization over usable subnets", () => {
        const ledger = reserving(withClusters(ledgerFor({ sliceName: "my-slice" }), ["a"]), ["10.1.128.0/17"]);
        expect(sliceStatus(ledger, at(60))).toMatchObject({
            reservedRanges: ["10.1.128.0/17"],
            reservedSubnets: 128,
            availableSubnets: 127,
            utilization: 1 / 128,
        });
        expect(sliceStatus(withClusters(ledgerFor(), ["a"]), at(60))).not.toHaveProperty("reservedSubnets");
    });

    it("check lists clusters kept inside a reserved range, without calling it a mismatch", () => {
        const ledger = reserving(withClusters(ledgerFor({ sliceName: "my-slice" }), ["a", "b"]), ["10.1.1.0/24"]);
        const report = checkClusters(ledger, ["a", "b"], at(60));
        expect(report.consistent).toBe(true);
        expect(report.inReservedRanges).toEqual([{ clusterName: "b", subnet: "10.1.1.0/24", range: "10.1.1.0/24" }]);
        expect(reservedHoldersSummary(report)).toBe(
            'slice "my-slice": 1 cluster(s) keep a subnet inside a reserved range (accepted with acceptReservedOverlaps): ' +
                "b (10.1.1.0/24 in 10.1.1.0/24); nothing new is allocated there, and each subnet returns to the reserved range once its cluster leaves.",
        );
        expect(reservedHoldersSummary(checkClusters(withClusters(ledgerFor(), ["a"]), ["a"], at(60)))).toBeUndefined();
    });

    it("savings compares with a static layout of the usable subnets only", () => {
        const ledger = reserving(withClusters(ledgerFor(), ["a"]), ["10.1.0.0/17"]); // a holds 10.1.0.0/24, inside the range
        const [slice] = savingsReport([ledger], at(60)).slices;
        expect(slice).toMatchObject({ staticAddresses: 129 * 256, dynamicAddresses: 256, savedAddresses: 128 * 256 });
    });
});
