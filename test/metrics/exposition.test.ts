import { describe, expect, it } from "vitest";
import { countIn } from "../../provider/core/counters";
import { renderExposition } from "../../metrics/exposition";
import { ledgerMetricFamilies } from "../../metrics/ledger-metrics";
import { at, ledgerFor, mustAllocate } from "../core/ledger-fixtures";
import { parseExposition, sampleValue, samplesOf } from "../support/prometheus-text";

describe("renderExposition", () => {
    it("renders every family in the text format, which a Prometheus parser reads back", async () => {
        let ledger = mustAllocate(ledgerFor(), "a", at(1)).ledger;
        ledger = countIn(ledger, { allocationsSucceeded: 1, allocationLatencySeconds: 0.0052 });
        const text = await renderExposition(ledgerMetricFamilies([ledger], at(2)));
        const parsed = parseExposition(text);
        expect(parsed.map((f) => [f.name, f.type])).toEqual([
            ["ipam_allocations_total", "COUNTER"],
            ["ipam_releases_total", "COUNTER"],
            ["ipam_allocation_latency_seconds", "HISTOGRAM"],
            ["ipam_total_subnets", "GAUGE"],
            ["ipam_reserved_subnets", "GAUGE"],
            ["ipam_available_subnets", "GAUGE"],
            ["ipam_allocated_subnets", "GAUGE"],
            ["ipam_inuse_subnets", "GAUGE"],
            ["ipam_utilization_rate", "GAUGE"],
            ["ipam_conflicts_total", "COUNTER"],
            ["ipam_reclaimed_total", "COUNTER"],
            ["ipam_reclaimable_subnets", "GAUGE"],
            ["ipam_slice_info", "GAUGE"],
            ["ipam_slice_unreadable", "GAUGE"],
        ]);
        const samples = samplesOf(text);
        const bucket = (le: string) => sampleValue(samples, "ipam_allocation_latency_seconds_bucket", { slice: "blue", le });
        expect(["0.001", "0.01", "0.1", "1", "10", "+Inf"].map(bucket)).toEqual([0, 1, 1, 1, 1, 1]);
        expect(sampleValue(samples, "ipam_allocation_latency_seconds_sum", { slice: "blue" })).toBe(0.0052);
        expect(sampleValue(samples, "ipam_allocation_latency_seconds_count", { slice: "blue" })).toBe(1);
        expect(sampleValue(samples, "ipam_allocations_total", { slice: "blue", status: "success" })).toBe(1);
        expect(text).toContain('ipam_utilization_rate{slice="blue"} 0.00390625\n');
    });

    it("labels every sample of a slice: 2 allocation, 8 latency, 9 gauge and 3 other counter series", async () => {
        const families = ledgerMetricFamilies([ledgerFor({ sliceName: "x-1" })], at(0));
        expect(samplesOf(await renderExposition(families)).filter((s) => s.labels.slice === "x-1")).toHaveLength(22);
    });

    it("gives an IPv6 slice's exact counts in ipam_slice_info, beside float64 gauges whose values are the nearest", async () => {
        const ledger = mustAllocate(
            ledgerFor({ sliceName: "six", sliceSubnet: "fd00::/8", subnetSize: 64, reservedRanges: ["fd80::/9", "fd00::/64"] }),
            "a",
            at(1),
        ).ledger;
        const text = await renderExposition(ledgerMetricFamilies([ledger], at(2)));
        const samples = samplesOf(text);
        expect(
            sampleValue(samples, "ipam_slice_info", {
                slice: "six",
                ip_family: "ipv6",
                slice_subnet: "fd00::/8",
                subnet_size: "64",
                total_subnets: "72057594037927936",
                reserved_subnets: "36028797018963969",
            }),
        ).toBe(1);
        // Prometheus reads the gauge as the float64 nearest 2^56, which is 2^56 itself.
        expect(sampleValue(samples, "ipam_total_subnets", { slice: "six" })).toBe(2 ** 56);
        expect(sampleValue(samples, "ipam_available_subnets", { slice: "six" })).toBe(4_095);
        const v4 = await renderExposition(ledgerMetricFamilies([ledgerFor({ sliceName: "four" })], at(2)));
        expect(v4).toContain(
            'ipam_slice_info{slice="four",ip_family="ipv4",slice_subnet="10.1.0.0/16",subnet_size="24",total_subnets="256",reserved_subnets="0"} 1\n',
        );
    });

    it("labels a dual-stack slice's ipam_slice_info with ip_family dual and its IPv6 pool; its gauges count clusters, as any slice's", async () => {
        const ledger = mustAllocate(
            ledgerFor({ sliceName: "duo", sliceSubnet: "10.1.0.0/16", sliceSubnetIpv6: "fd00:1::/56", subnetSizeIpv6: 64 }),
            "a",
            at(1),
        ).ledger;
        const text = await renderExposition(ledgerMetricFamilies([ledger], at(2)));
        expect(text).toContain(
            'ipam_slice_info{slice="duo",ip_family="dual",slice_subnet="10.1.0.0/16",subnet_size="24",slice_subnet_ipv6="fd00:1::/56",' +
                'subnet_size_ipv6="64",total_subnets="256",reserved_subnets="0"} 1\n',
        );
        expect(sampleValue(samplesOf(text), "ipam_allocated_subnets", { slice: "duo" })).toBe(1);
        expect(sampleValue(samplesOf(text), "ipam_total_subnets", { slice: "duo" })).toBe(256);
    });

    it("prints HELP and TYPE for metrics with no slice yet", async () => {
        const text = await renderExposition(ledgerMetricFamilies([], at(0)));
        expect(text).toContain("# TYPE ipam_available_subnets gauge\n");
        expect(text).not.toMatch(/^ipam_/m);
    });
});
