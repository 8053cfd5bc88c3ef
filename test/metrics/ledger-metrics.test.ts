import { describe, expect, it } from "vitest";
import { countIn } from "../../provider/core/counters";
import { markInUse, reclaim, release, SliceLedger } from "../../provider/core/ledger";
import { ledgerMetricFamilies, METRIC, MetricFamily, seriesNames } from "../../metrics/ledger-metrics";
import { at, ledgerFor, mustAllocate } from "../core/ledger-fixtures";

/** blue: 10.1.0.0/16 of /24s, a and b allocated, c released at t=100 with a 1 h grace period. */
function blue(): SliceLedger {
    let ledger = ledgerFor({ gracePeriodSeconds: 3600 });
    for (const cluster of ["a", "b", "c"]) {
        ledger = mustAllocate(ledger, cluster, at(10)).ledger;
    }
    const released = release(ledger, "c", at(100));
    return countIn(
        countIn(countIn(released.ledger, { allocationsSucceeded: 3, allocationsFailed: 1, releases: 1, conflicts: 2, reclaimed: 4 }), {
            allocationLatencySeconds: 0.004,
        }),
        { allocationLatencySeconds: 42 },
    );
}

const family = (families: MetricFamily[], name: string) => families.find((f) => f.name === name)!;
const value = (families: MetricFamily[], name: string, labels: Record<string, string | number> = { slice: "blue" }, metricName?: string) =>
    family(families, name).values.find((sample) => sample.metricName === metricName && JSON.stringify(sample.labels) === JSON.stringify(labels))
        ?.value;

describe("ledgerMetricFamilies", () => {
    it("exports the guide's eight metrics, ipam_reserved_subnets, ipam_inuse_subnets, ipam_reclaimed_total, ipam_reclaimable_subnets and ipam_slice_info, in that order, with their types", () => {
        expect(ledgerMetricFamilies([], at(0)).map((f) => [f.name, f.type, f.values.length])).toEqual([
            ["ipam_allocations_total", "counter", 0],
            ["ipam_releases_total", "counter", 0],
            ["ipam_allocation_latency_seconds", "histogram", 0],
            ["ipam_total_subnets", "gauge", 0],
            ["ipam_reserved_subnets", "gauge", 0],
            ["ipam_available_subnets", "gauge", 0],
            ["ipam_allocated_subnets", "gauge", 0],
            ["ipam_inuse_subnets", "gauge", 0],
            ["ipam_utilization_rate", "gauge", 0],
            ["ipam_conflicts_total", "counter", 0],
            ["ipam_reclaimed_total", "counter", 0],
            ["ipam_reclaimable_subnets", "gauge", 0],
            ["ipam_slice_info", "gauge", 0],
            ["ipam_slice_unreadable", "gauge", 0],
        ]);
    });

    it("marks each unreadable slice with ipam_slice_unreadable 1, and every readable one with 0", () => {
        const families = ledgerMetricFamilies([blue()], at(200), ["broken"]);
        expect(value(families, METRIC.unreadable, { slice: "blue" })).toBe(0);
        expect(value(families, METRIC.unreadable, { slice: "broken" })).toBe(1);
        // The broken slice has no other series: nothing is guessed about it.
        expect(families.filter((f) => f.values.some((v) => v.labels.slice === "broken")).map((f) => f.name)).toEqual([METRIC.unreadable]);
    });

    it("counts Released subnets past their grace period as reclaimable (and available, and not in utilization) until reclaimed", () => {
        // 4 subnets: one active, two released at t=100 with a 3,600 s grace period, one free.
        let ledger = ledgerFor({ sliceName: "x", sliceSubnet: "10.9.0.0/22", subnetSize: 24, gracePeriodSeconds: 3_600 });
        for (const cluster of ["a", "b", "c"]) {
            ledger = mustAllocate(ledger, cluster, at(1)).ledger;
        }
        ledger = release(release(ledger, "b", at(100)).ledger, "c", at(100)).ledger;
        const inGrace = ledgerMetricFamilies([ledger], at(100 + 3_599));
        expect(value(inGrace, METRIC.reclaimable, { slice: "x" })).toBe(0);
        expect(value(inGrace, METRIC.availableSubnets, { slice: "x" })).toBe(1);
        const expired = ledgerMetricFamilies([ledger], at(100 + 3_600));
        expect(value(expired, METRIC.reclaimable, { slice: "x" })).toBe(2);
        expect(value(expired, METRIC.availableSubnets, { slice: "x" })).toBe(3);
        expect(value(expired, METRIC.utilization, { slice: "x" })).toBe(0.25);
        const afterReclaim = ledgerMetricFamilies([reclaim(ledger, at(100 + 3_600)).ledger], at(100 + 3_600));
        expect(value(afterReclaim, METRIC.reclaimable, { slice: "x" })).toBe(0);
        expect(value(afterReclaim, METRIC.availableSubnets, { slice: "x" })).toBe(3);
    });

    it("takes counters from the ledger", () => {
        const families = ledgerMetricFamilies([blue()], at(200));
        expect(value(families, METRIC.allocations, { slice: "blue", status: "success" })).toBe(3);
        expect(value(families, METRIC.allocations, { slice: "blue", status: "failure" })).toBe(1);
        expect(value(families, METRIC.releases)).toBe(1);
        expect(value(families, METRIC.conflicts)).toBe(2);
        expect(value(families, METRIC.reclaimed)).toBe(4);
    });

    it("derives gauges from the allocations as of now: a Released subnet in grace is neither allocated nor available", () => {
        const families = ledgerMetricFamilies([blue()], at(200));
        expect(value(families, METRIC.totalSubnets)).toBe(256);
        expect(value(families, METRIC.allocatedSubnets)).toBe(2);
        expect(value(families, METRIC.availableSubnets)).toBe(253);
        expect(value(families, METRIC.utilization)).toBe(2 / 256);
    });

    it("counts InUse subnets in ipam_inuse_subnets and still in ipam_allocated_subnets (Allocated + InUse)", () => {
        const marked = markInUse(blue(), "a");
        if (!marked.ok) throw new Error(marked.issue.message);
        const families = ledgerMetricFamilies([marked.ledger], at(200));
        expect(value(families, METRIC.inUseSubnets)).toBe(1);
        expect(value(families, METRIC.allocatedSubnets)).toBe(2);
        expect(value(families, METRIC.utilization)).toBe(2 / 256);
        expect(value(ledgerMetricFamilies([blue()], at(200)), METRIC.inUseSubnets)).toBe(0);
    });

    it("counts a Released subnet past its grace period as available", () => {
        expect(value(ledgerMetricFamilies([blue()], at(100 + 3600)), METRIC.availableSubnets)).toBe(254);
    });

    it("turns the ledger's per-bucket counts into cumulative le buckets ending with +Inf = count", () => {
        const samples = family(ledgerMetricFamilies([blue()], at(200)), METRIC.allocationLatency).values;
        expect(samples.map((s) => [s.metricName, s.labels.le ?? null, s.value])).toEqual([
            ["ipam_allocation_latency_seconds_bucket", 0.001, 0],
            ["ipam_allocation_latency_seconds_bucket", 0.01, 1],
            ["ipam_allocation_latency_seconds_bucket", 0.1, 1],
            ["ipam_allocation_latency_seconds_bucket", 1, 1],
            ["ipam_allocation_latency_seconds_bucket", 10, 1],
            ["ipam_allocation_latency_seconds_bucket", "+Inf", 2],
            ["ipam_allocation_latency_seconds_sum", null, 42.004],
            ["ipam_allocation_latency_seconds_count", null, 2],
        ]);
    });

    it("lists slices by name", () => {
        const green = ledgerFor({ sliceName: "green", sliceSubnet: "10.2.0.0/16" });
        const families = ledgerMetricFamilies([green, blue()], at(200));
        expect(family(families, METRIC.totalSubnets).values.map((s) => s.labels.slice)).toEqual(["blue", "green"]);
    });

    it.each([
        [{ name: METRIC.utilization, type: "gauge" as const }, ["ipam_utilization_rate"]],
        [
            { name: METRIC.allocationLatency, type: "histogram" as const },
            ["ipam_allocation_latency_seconds_bucket", "ipam_allocation_latency_seconds_sum", "ipam_allocation_latency_seconds_count"],
        ],
    ])("seriesNames(%o)", (metric, names) => {
        expect(seriesNames(metric)).toEqual(names);
    });
});
