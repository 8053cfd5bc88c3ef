/**
 * `slice-ipam report --html` of a dual-stack slice: both pools in the
 * section's heading and figures, and each entry's IPv6 subnet in the panel's
 * data and the tables; a single-stack slice's section stays as it was.
 */
import { describe, expect, it } from "vitest";
import { reportHtml } from "../../cli/report-html";
import { dualLedger, knownLedger, MAP_NOW } from "../support/map-ledgers";

const html = reportHtml({ ledgers: [dualLedger(), knownLedger()], now: MAP_NOW, source: "a test" });

/** The JSON the panel of a grid reads, by cell. */
function panelData(id: string): Record<string, string[][]> {
    const match = new RegExp(`<script type="application/json" id="${id}-entries">(.*?)</script>`).exec(html);
    expect(match).not.toBeNull();
    return JSON.parse(match![1]) as Record<string, string[][]>;
}

describe("the report of a dual-stack slice", () => {
    it("names both pools in the heading, the figures and the map's caption", () => {
        expect(html).toContain(`<h2 id="h-duo">Slice duo: 10.9.0.0/20 and fd00:9::/60</h2>`);
        expect(html).toContain("<dt>pool</dt><dd>10.9.0.0/20 in /24s and fd00:9::/60 in /64s</dd>");
        expect(html).toContain("<figcaption>Map of slice duo: 10.9.0.0/20 and fd00:9::/60, 16 /24 subnets");
    });

    it("gives the panel each entry's IPv6 subnet, after its other fields", () => {
        expect(panelData("grid-duo")["5"]).toEqual([["c-5", "10.9.5.0/24", "Allocated", "2026-03-01T11:00:00Z", "", "", "fd00:9:0:5::/64"]]);
    });

    it("lists both subnets of an entry in the table of recorded subnets", () => {
        expect(html).toContain("<td>c-5</td><td>10.9.5.0/24,fd00:9:0:5::/64</td>");
    });

    it("leaves a single-stack slice's heading, figures and panel data as they were", () => {
        expect(html).toContain(`<h2 id="h-known">Slice known</h2>`);
        expect(html).toContain("<dt>pool</dt><dd>10.9.0.0/20 in /24s</dd>");
        expect(panelData("grid-known")["0"][0]).toHaveLength(6);
    });
});
