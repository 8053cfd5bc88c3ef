/**
 * The alerting assets in deploy/monitoring: every expression parses as
 * PromQL (the Prometheus project's own Lezer grammar) and selects only series
 * the exporter actually exposes.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { countIn } from "../../provider/core/counters";
import { renderExposition } from "../../metrics/exposition";
import { ledgerMetricFamilies } from "../../metrics/ledger-metrics";
import { at, ledgerFor, mustAllocate } from "../core/ledger-fixtures";
import { samplesOf } from "../support/prometheus-text";

const MONITORING = path.resolve(__dirname, "../../deploy/monitoring");
const rule = parseYaml(readFileSync(path.join(MONITORING, "prometheus-rule.yaml"), "utf8"));
const dashboard = JSON.parse(readFileSync(path.join(MONITORING, "grafana-dashboard.json"), "utf8"));

interface Parsed {
    readonly errors: string[];
    readonly metrics: string[];
}

/** Syntax errors and the metric names of every vector selector. */
function parsePromQL(expr: string): Parsed {
    const errors: string[] = [];
    const metrics: string[] = [];
    parser.parse(expr).iterate({
        enter(node) {
            if (node.type.isError) {
                errors.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 10), node.to + 10))}`);
            } else if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
                metrics.push(expr.slice(node.from, node.to));
            }
        },
    });
    return { errors, metrics };
}

/** Grafana replaces its variables before the query reaches Prometheus; do the same with sample values. */
function withGrafanaVariables(expr: string): string {
    return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, "5m");
}

let exported: Set<string>;

beforeAll(async () => {
    // What `slice-ipam metrics` serves for a slice with everything counted once.
    let ledger = mustAllocate(ledgerFor(), "a", at(1)).ledger;
    ledger = countIn(ledger, {
        allocationsSucceeded: 1,
        allocationsFailed: 1,
        releases: 1,
        conflicts: 1,
        reclaimed: 1,
        allocationLatencySeconds: 0.01,
    });
    exported = new Set(samplesOf(await renderExposition(ledgerMetricFamilies([ledger], at(2)))).map((sample) => sample.name));
});

describe("the PromQL checker", () => {
    it("finds metric names and reports syntax errors", () => {
        expect(parsePromQL('sum by (slice) (rate(a_total{status="x"}[5m])) / b > 0.1')).toEqual({ errors: [], metrics: ["a_total", "b"] });
        expect(parsePromQL("rate(a_total[5m]").errors).toHaveLength(1);
    });
});

describe("deploy/monitoring/prometheus-rule.yaml", () => {
    const rules: Array<{ alert: string; expr: string; for: string; labels: { severity: string }; annotations: { summary: string } }> =
        rule.spec.groups.flatMap((group: { rules: unknown[] }) => group.rules);

    it("is a PrometheusRule with the guide's four alerts and one for an unreadable slice", () => {
        expect([rule.apiVersion, rule.kind]).toEqual(["monitoring.coreos.com/v1", "PrometheusRule"]);
        expect(rules.map((r) => [r.alert, r.for, r.labels.severity])).toEqual([
            ["IPAMSliceUnreadable", "1m", "critical"],
            ["HighIPAMUtilization", "5m", "warning"],
            ["IPAMExhausted", "1m", "critical"],
            ["HighAllocationFailureRate", "5m", "warning"],
            ["FrequentOptimisticLockConflicts", "5m", "warning"],
        ]);
        rules.forEach((r) => expect(r.annotations.summary).toContain("$labels.slice"));
    });

    it.each(["IPAMSliceUnreadable", "HighIPAMUtilization", "IPAMExhausted", "HighAllocationFailureRate", "FrequentOptimisticLockConflicts"])(
        "%s parses and selects only exported metrics",
        (alert) => {
            const parsed = parsePromQL(rules.find((r) => r.alert === alert)!.expr);
            expect(parsed.errors).toEqual([]);
            expect(parsed.metrics.length).toBeGreaterThan(0);
            expect(parsed.metrics.filter((name) => !exported.has(name))).toEqual([]);
        },
    );

    it("keeps the slice label through the failure-rate ratio (sums both sides by slice)", () => {
        expect(rules.find((r) => r.alert === "HighAllocationFailureRate")!.expr.match(/sum by \(slice\)/g)).toHaveLength(2);
    });
});

describe("deploy/monitoring/grafana-dashboard.json", () => {
    const targets: Array<{ panel: string; expr: string }> = dashboard.panels.flatMap((panel: { title: string; targets: { expr: string }[] }) =>
        panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })),
    );

    it("has the guide's utilization panel with 80/90 thresholds", () => {
        const panel = dashboard.panels.find((p: { title: string }) => p.title === "IPAM Utilization by Slice");
        expect(panel.targets[0]).toMatchObject({ expr: 'ipam_utilization_rate{slice=~"$slice"} * 100', legendFormat: "{{ slice }}" });
        expect(panel.fieldConfig.defaults.max).toBe(100);
        expect(panel.fieldConfig.defaults.thresholds.steps.map((s: { value: number | null }) => s.value)).toEqual([null, 80, 90]);
    });

    it("parses every panel query and selects only exported metrics", () => {
        expect(targets.length).toBeGreaterThanOrEqual(9);
        for (const { panel, expr } of targets) {
            const parsed = parsePromQL(withGrafanaVariables(expr));
            expect(parsed.errors, panel).toEqual([]);
            expect(
                parsed.metrics.filter((name) => !exported.has(name)),
                panel,
            ).toEqual([]);
        }
    });

    it("lists slices from an exported metric", () => {
        const slice = dashboard.templating.list.find((v: { name: string }) => v.name === "slice");
        const metric = /^label_values\((\w+), slice\)$/.exec(slice.query.query)?.[1];
        expect(metric !== undefined && exported.has(metric)).toBe(true);
    });

    it("charts every exported metric", () => {
        const charted = new Set(targets.flatMap(({ expr }) => parsePromQL(withGrafanaVariables(expr)).metrics));
        const families = [...exported].map((name) => name.replace(/_(bucket|sum|count)$/, ""));
        expect([...new Set(families)].filter((family) => ![...charted].some((name) => name.startsWith(family)))).toEqual([]);
    });
});
