/**
 * `slice-ipam map` of a dual-stack slice: the header and figures name both
 * pools, and each cell's subnets come with the IPv6 subnet at the same index.
 */
import { describe, expect, it } from "vitest";
import { sliceMap, TERMINAL_MAX_CELLS } from "../../cli/map-layout";
import { renderMapText } from "../../cli/map-text";
import { cellLabel } from "../../cli/report-grid";
import { dualLedger, emptyLedger, knownLedger, MAP_NOW } from "../support/map-ledgers";

describe("the map of a dual-stack slice", () => {
    const map = sliceMap(dualLedger(), MAP_NOW, { maxCells: TERMINAL_MAX_CELLS });

    it("carries the IPv6 pool, and each cell's IPv6 subnet beside its IPv4 one", () => {
        expect(map).toMatchObject({ sliceSubnet: "10.9.0.0/20", sliceSubnetIpv6: "fd00:9::/60", subnetSizeIpv6: 64 });
        expect(map.cells[5]).toMatchObject({ firstSubnet: "10.9.5.0/24", firstSubnetIpv6: "fd00:9:0:5::/64", lastSubnetIpv6: "fd00:9:0:5::/64" });
        expect(map.cells[5].entries[0]).toMatchObject({ clusterName: "c-5", subnetIpv6: "fd00:9:0:5::/64" });
    });

    it("names both pools in the header and the figures, and both subnets in the largest free run", () => {
        const lines = renderMapText(map, false).split("\n");
        expect(lines[0]).toBe(
            "slice duo: 10.9.0.0/20 in /24 subnets and fd00:9::/60 in /64 subnets (one of each per cluster), 16 subnets, one cell per subnet",
        );
        expect(lines).toContain("active: 2 of 16 subnets in each of 10.9.0.0/20 and fd00:9::/60 (utilization 12.5%)");
        expect(lines).toContain("largest free run: 10.9.6.0/24 – 10.9.15.0/24 and fd00:9:0:6::/64 – fd00:9:0:f::/64 (10 subnets)");
    });

    it("labels a cell of one subnet with both subnets, and a block with both ranges", () => {
        expect(cellLabel(map, map.cells[5])).toBe("10.9.5.0/24 and fd00:9:0:5::/64: Allocated, cluster c-5, allocated 2026-03-01T11:00:00Z");
        expect(cellLabel(map, map.cells[4])).toBe("10.9.4.0/24 and fd00:9:0:4::/64: free");
        const blocks = sliceMap(dualLedger(), MAP_NOW, { maxCells: 4 });
        expect(cellLabel(blocks, blocks.cells[1])).toBe(
            "10.9.4.0/22 (4 subnets, 10.9.4.0/24 – 10.9.7.0/24 and fd00:9:0:4::/64 – fd00:9:0:7::/64): 1 Allocated, 3 free",
        );
    });

    it("gives no IPv6 subnet where a smaller IPv6 pool has none", () => {
        const empty = emptyLedger({
            sliceName: "short",
            sliceSubnet: "10.9.0.0/20",
            subnetSize: 24,
            sliceSubnetIpv6: "fd00:9::/62",
            subnetSizeIpv6: 64,
        });
        const short = sliceMap(empty, MAP_NOW, { maxCells: TERMINAL_MAX_CELLS });
        expect(short.cells[3]).toMatchObject({ firstSubnetIpv6: "fd00:9:0:3::/64" });
        expect(short.cells[4]).not.toHaveProperty("firstSubnetIpv6");
        expect(cellLabel(short, short.cells[4])).toBe("10.9.4.0/24: free");
    });

    it("adds nothing to a single-stack slice's map", () => {
        const single = sliceMap(knownLedger(), MAP_NOW, { maxCells: TERMINAL_MAX_CELLS });
        expect(single).not.toHaveProperty("sliceSubnetIpv6");
        expect(single.cells.some((cell) => "firstSubnetIpv6" in cell)).toBe(false);
        expect(renderMapText(single, false)).not.toMatch(/ and fd|in each of/);
    });
});
