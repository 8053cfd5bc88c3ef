/**
 * The CLI's views of IPv6 slices: every count past 2^53 shown exactly, in
 * tables and in JSON (an `…Exact` text beside a number that is not exact).
 */
import { describe, expect, it } from "vitest";
import { SliceLedger, withSettings } from "../../provider/core/ledger";
import { renderTable, thousands } from "../../cli/format";
import { sliceMap, TERMINAL_MAX_CELLS } from "../../cli/map-layout";
import { renderMapText } from "../../cli/map-text";
import { reportHtml } from "../../cli/report-html";
import { allocationViews, SAVINGS_COLUMNS, savingsReport, savingsRows, sliceStatus, STATUS_COLUMNS } from "../../cli/views";
import { at, ledgerFor, mustAllocate } from "../core/ledger-fixtures";

function withClusters(ledger: SliceLedger, clusters: string[]): SliceLedger {
    return clusters.reduce((current, cluster) => mustAllocate(current, cluster, at(60)).ledger, ledger);
}

// fd00::/8 of /64s: 2^56 subnets; fd80::/9 plus one /64 reserved: 2^55 + 1.
const huge = () => {
    const ledger = ledgerFor({ sliceName: "six", sliceSubnet: "fd00::/8", subnetSize: 64 });
    return withClusters(withSettings(ledger, { ...ledger.spec, reservedRanges: ["fd80::/9", "fd00::/64"] }), ["c-1", "c-2", "c-3"]);
};

describe("IPv6 status", () => {
    it("shows the exact total, and adds exact text to JSON only past 2^53", () => {
        const row = sliceStatus(huge(), at(120));
        expect(row).toMatchObject({
            sliceSubnet: "fd00::/8",
            subnetSize: 64,
            totalSubnetsExact: "72057594037927936",
            reservedSubnetsExact: "36028797018963969",
            allocatedSubnets: 3,
            availableSubnets: 4_093,
        });
        expect(renderTable(STATUS_COLUMNS, [row])).toContain(" 72057594037927936 ");
        const small = sliceStatus(withClusters(ledgerFor({ sliceSubnet: "fd00:10::/48", subnetSize: 64 }), ["c-1"]), at(120));
        expect(small).toMatchObject({ totalSubnets: 65_536, availableSubnets: 4_095 });
        expect(small).not.toHaveProperty("totalSubnetsExact");
    });

    it("lists /64 allocations by index", () => {
        expect(allocationViews(huge(), at(120)).map((view) => [view.subnet, view.index])).toEqual([
            ["fd00:0:0:1::/64", 1],
            ["fd00:0:0:2::/64", 2],
            ["fd00:0:0:3::/64", 3],
        ]);
    });
});

describe("IPv6 savings", () => {
    it("counts IPv6 addresses exactly, in their own total", () => {
        const v4 = withClusters(ledgerFor({ sliceName: "four", sliceSubnet: "10.1.0.0/16" }), ["c-1"]);
        const v6 = withClusters(ledgerFor({ sliceName: "six", sliceSubnet: "fd00:10::/48", subnetSize: 64 }), ["c-1", "c-2"]);
        const report = savingsReport([v4, v6], at(120));
        expect(report.total).toEqual({
            slices: 1,
            clusters: 1,
            staticAddresses: 65_536,
            dynamicAddresses: 256,
            savedAddresses: 65_280,
            savings: 65_280 / 65_536,
        });
        const perSubnet = 2n ** 64n;
        expect(report.totalIpv6).toMatchObject({
            slices: 1,
            clusters: 2,
            exact: {
                staticAddresses: (65_536n * perSubnet).toString(),
                dynamicAddresses: (2n * perSubnet).toString(),
                savedAddresses: (65_534n * perSubnet).toString(),
            },
        });
        expect(report.totalIpv6?.savings).toBeCloseTo(65_534 / 65_536, 12);
        expect(report.slices[1]).toMatchObject({ ipVersion: 6, exact: { addressesPerSubnet: "18446744073709551616" } });
        const table = renderTable(SAVINGS_COLUMNS, savingsRows(report));
        expect(table).toContain("TOTAL IPv4");
        expect(table).toContain(`TOTAL IPv6`);
        expect(table).toContain(thousands(65_534n * perSubnet));
    });
});

describe("IPv6 map", () => {
    it("lays out a 2^56-subnet pool in cells, exact past the indexable subnets", () => {
        const map = sliceMap(huge(), at(120), { maxCells: TERMINAL_MAX_CELLS });
        expect(map.cells).toHaveLength(1024);
        expect(map.subnetsPerCell).toBe(2 ** 46);
        expect(map.cells[1023]).toMatchObject({ firstSubnet: "fdff:c000::/64", lastSubnet: "fdff:ffff:ffff:ffff::/64" });
        expect(map.freeExact).toBe((2n ** 56n - 3n).toString());
        expect(map.largestFreeRun).toMatchObject({
            firstSubnet: "fd00:0:0:4::/64",
            lastSubnet: "fdff:ffff:ffff:ffff::/64",
            lengthExact: (2n ** 56n - 4n).toString(),
        });
        const text = renderMapText(map, false);
        expect(text).toContain("72,057,594,037,927,936 subnets");
        expect(text).toContain(`(${thousands(2n ** 56n - 4n)} subnets)`);
        expect(text).toContain(`: ${thousands(2n ** 56n - 3n)} (`);
    });
});

describe("IPv6 in the HTML report", () => {
    it("states each IP family's savings exactly, and draws the huge pool's map", () => {
        const v4 = withClusters(ledgerFor({ sliceName: "four", sliceSubnet: "10.1.0.0/16" }), ["c-1"]);
        const html = reportHtml({ ledgers: [v4, huge()], now: at(120), source: "a test store" });
        expect(html).toContain("for 1 IPv4 slice(s): every subnet reserved up front would take 65,536 addresses");
        const staticV6 = (2n ** 56n - 2n ** 55n - 1n) * 2n ** 64n;
        expect(html).toContain(`for 1 IPv6 slice(s): every subnet reserved up front would take ${thousands(staticV6)} addresses`);
        expect(html).toContain("72,057,594,037,927,936 /64 subnets");
    });
});
