/**
 * `--plan preview.json` on a dual-stack slice: the planned IPv6 subnet of each
 * cluster the preview touches. A create's inputs (as test/e2e/dual-stack.e2e.test.ts
 * previews them) carry the planned IPv4 subnet and the slice's IPv6 pool, not
 * the IPv6 subnet: the plan pairs it with the planned index. A delete's outputs
 * carry the held IPv6 subnet.
 */
import { describe, expect, it } from "vitest";
import { planSlice, readPreview } from "../../cli/preview-plan";
import { reportHtml } from "../../cli/report-html";
import { dualLedger, knownLedger, MAP_NOW } from "../support/map-ledgers";

const TYPE = "pulumi-nodejs:dynamic/kubeslice-ipam:SubnetAllocation";

/** c-7 joins duo at its planned 10.9.7.0/24; c-5 leaves. */
const PREVIEW = {
    steps: [
        {
            op: "create",
            newState: {
                type: TYPE,
                inputs: {
                    sliceName: "duo",
                    clusterName: "c-7",
                    requestedSubnet: "10.9.7.0/24",
                    requestedSubnetIsPlan: true,
                    sliceSubnetIpv6: "fd00:9::/60",
                },
            },
        },
        {
            op: "delete",
            oldState: {
                type: TYPE,
                inputs: { sliceName: "duo", clusterName: "c-5", sliceSubnetIpv6: "fd00:9::/60" },
                outputs: { subnet: "10.9.5.0/24", subnetIpv6: "fd00:9:0:5::/64", index: 5 },
            },
        },
    ],
};

describe("a preview of a dual-stack slice", () => {
    it("reads a release's held IPv6 subnet; a create has only its planned IPv4 one", () => {
        expect(readPreview(PREVIEW)).toEqual({
            ok: true,
            changes: [
                { change: "add", clusterName: "c-7", sliceName: "duo", subnet: "10.9.7.0/24" },
                { change: "release", clusterName: "c-5", sliceName: "duo", subnet: "10.9.5.0/24", subnetIpv6: "fd00:9:0:5::/64" },
            ],
        });
    });

    it("plans each cluster's IPv6 subnet: the one paired with its IPv4 subnet", () => {
        const read = readPreview(PREVIEW);
        const plan = planSlice(dualLedger(), read.ok ? read.changes : [], MAP_NOW);
        expect(plan.rows).toEqual([
            { clusterName: "c-7", change: "add", outcome: "joins", subnet: "10.9.7.0/24", subnetIpv6: "fd00:9:0:7::/64" },
            { clusterName: "c-5", change: "release", outcome: "is released", subnet: "10.9.5.0/24", subnetIpv6: "fd00:9:0:5::/64" },
        ]);
    });

    it("shows both subnets in the report's table of the change and in the changed cells' labels", () => {
        const read = readPreview(PREVIEW);
        const html = reportHtml({
            ledgers: [dualLedger()],
            now: MAP_NOW,
            source: "a test",
            preview: { name: "preview.json", changes: read.ok ? read.changes : [] },
        });
        expect(html).toContain("<td>c-7</td><td>+ joins</td><td>10.9.7.0/24,fd00:9:0:7::/64</td><td>joins</td>");
        expect(html).toContain('aria-label="10.9.7.0/24 and fd00:9:0:7::/64: Allocated, cluster c-7');
    });

    it("adds no IPv6 subnet to a single-stack slice's rows", () => {
        const plan = planSlice(knownLedger(), [{ change: "add", clusterName: "c-9", sliceName: "known", subnet: "10.9.9.0/24" }], MAP_NOW);
        expect(plan.rows).toEqual([{ clusterName: "c-9", change: "add", outcome: "joins", subnet: "10.9.9.0/24" }]);
    });
});
