/**
 * The alerts in deploy/monitoring/prometheus-rule.yaml evaluated by
 * Prometheus itself: `promtool check rules` and `promtool test rules` (built
 * from the Go module proxy by test/promtool/promtool.sh) on the resource's
 * rule groups. Each alert is shown firing and not firing on either side of
 * its threshold and its `for` duration, and whole exporter pages (ledgers
 * built with the core, rendered by metrics/) are fed in as scraped series.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { release, SliceLedger } from "../../provider/core/ledger";
import { renderExposition } from "../../metrics/exposition";
import { ledgerMetricFamilies } from "../../metrics/ledger-metrics";
import { at, ledgerFor, mustAllocate } from "../core/ledger-fixtures";
import { samplesOf } from "../support/prometheus-text";
import { buildPromtool, constantInputSeries, InputSeries, PromtoolRun, runPromtool } from "../support/promtool";
import { findRepoRoot } from "../support/provider-host";
import { makeTempDir } from "../support/temp-dir";

interface AlertingRule {
    readonly alert: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
}

interface RuleGroup {
    readonly name: string;
    readonly interval: string;
    readonly rules: readonly AlertingRule[];
}

/** One alert as promtool expects it firing: every label and every rendered annotation. */
interface ExpectedAlert {
    readonly exp_labels: Record<string, string>;
    readonly exp_annotations: Record<string, string>;
}

interface AlertTest {
    readonly eval_time: string;
    readonly alertname: string;
    readonly exp_alerts: readonly ExpectedAlert[];
}

interface TestGroup {
    readonly name: string;
    readonly input_series: readonly InputSeries[];
    readonly alert_rule_test: readonly AlertTest[];
}

const RESOURCE = path.join(findRepoRoot(__dirname), "deploy/monitoring/prometheus-rule.yaml");
const groups: RuleGroup[] = parseYaml(readFileSync(RESOURCE, "utf8")).spec.groups;
const rules = groups.flatMap((group) => group.rules);
const ALERTS = rules.map((rule) => rule.alert);
/** Series are held for 40 scrapes: 20 minutes at the group's 30 s, past every `for`. */
const STEPS = 40;

let promtool: string;
let work: ReturnType<typeof makeTempDir>;
beforeAll(async () => {
    promtool = await buildPromtool();
    work = makeTempDir("kubeslice-ipam-promtool-");
    // promtool reads plain rule files; the PrometheusRule resource wraps the same groups in spec.
    writeFileSync(path.join(work.dir, "rules.yaml"), stringifyYaml({ groups }));
}, 1_200_000);
afterAll(() => work?.remove());

function ruleOf(alert: string): AlertingRule {
    const rule = rules.find((r) => r.alert === alert);
    if (rule === undefined) throw new Error(`${RESOURCE} has no alert ${alert}`);
    return rule;
}

/**
 * `alert` firing for `slice`, with `summary` as the rule's template renders
 * it. The descriptions only name the slice, so they are the rule's own text
 * with the slice put in.
 */
function firing(alert: string, slice: string, summary: string): ExpectedAlert {
    const rule = ruleOf(alert);
    const description = rule.annotations.description.replaceAll("{{ $labels.slice }}", slice);
    expect(description, `${alert}'s description has a template this test does not render`).not.toContain("{{");
    return { exp_labels: { slice, ...rule.labels }, exp_annotations: { summary, description } };
}

const evalAt = (evalTime: string, alertname: string, ...alerts: ExpectedAlert[]): AlertTest => ({
    eval_time: evalTime,
    alertname,
    exp_alerts: alerts,
});

/** Writes one promtool rule-test file of `tests` and runs `promtool test rules` on it. */
async function testRules(file: string, tests: readonly TestGroup[]): Promise<PromtoolRun> {
    const unitTests = { rule_files: ["rules.yaml"], evaluation_interval: groups[0].interval, tests };
    writeFileSync(path.join(work.dir, file), stringifyYaml(unitTests));
    return runPromtool(promtool, ["test", "rules", file], work.dir);
}

function expectPassed(run: PromtoolRun): void {
    if (run.code !== 0) expect.fail(`promtool test rules failed (exit ${run.code}):\n${run.output}`);
}

const series = (selector: string, values: string): InputSeries => ({ series: selector, values });
const blue = (name: string, labels = "") => `${name}{slice="blue"${labels}}`;

describe("promtool check rules", () => {
    it("accepts the resource's rule groups", async () => {
        const run = await runPromtool(promtool, ["check", "rules", "rules.yaml"], work.dir);
        expect(run.code, run.output).toBe(0);
        expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
    });

    it("refuses a broken expression, so the check above can fail", async () => {
        writeFileSync(path.join(work.dir, "broken.yaml"), stringifyYaml({ groups: [{ name: "x", rules: [{ alert: "X", expr: "rate(x[5m]" }] }] }));
        const run = await runPromtool(promtool, ["check", "rules", "broken.yaml"], work.dir);
        expect(run.code).not.toBe(0);
        expect(run.output).toContain("FAILED");
    });
});

describe("promtool test rules: each alert at its threshold and its for duration", () => {
    it("covers every alert of the resource", () => {
        expect(ALERTS).toEqual([
            "IPAMSliceUnreadable",
            "HighIPAMUtilization",
            "IPAMExhausted",
            "HighAllocationFailureRate",
            "FrequentOptimisticLockConflicts",
        ]);
    });

    it("IPAMSliceUnreadable: fires after 1 m of ipam_slice_unreadable 1, never for 0", async () => {
        const alert = "IPAMSliceUnreadable";
        const expected = firing(alert, "blue", "Slice blue's ledger cannot be read");
        const run = await testRules("unreadable.test.yaml", [
            {
                name: "unreadable",
                input_series: [series(blue("ipam_slice_unreadable"), `1x${STEPS}`)],
                alert_rule_test: [evalAt("30s", alert), evalAt("1m", alert, expected), evalAt("20m", alert, expected)],
            },
            { name: "readable", input_series: [series(blue("ipam_slice_unreadable"), `0x${STEPS}`)], alert_rule_test: [evalAt("20m", alert)] },
        ]);
        expectPassed(run);
    });

    it("HighIPAMUtilization: fires after 5 m above 0.8, never at exactly 0.8", async () => {
        const alert = "HighIPAMUtilization";
        const expected = firing(alert, "blue", "Slice blue at 81.25% capacity");
        const run = await testRules("utilization.test.yaml", [
            {
                name: "13 of 16 subnets",
                input_series: [series(blue("ipam_utilization_rate"), `0.8125x${STEPS}`)],
                alert_rule_test: [evalAt("4m30s", alert), evalAt("5m", alert, expected), evalAt("20m", alert, expected)],
            },
            { name: "at 80 %", input_series: [series(blue("ipam_utilization_rate"), `0.8x${STEPS}`)], alert_rule_test: [evalAt("20m", alert)] },
        ]);
        expectPassed(run);
    });

    it("IPAMExhausted: fires after 1 m of no available subnet, never with one left", async () => {
        const alert = "IPAMExhausted";
        const expected = firing(alert, "blue", "Slice blue has no available subnets");
        const run = await testRules("exhausted.test.yaml", [
            {
                name: "none available",
                input_series: [series(blue("ipam_available_subnets"), `0x${STEPS}`)],
                alert_rule_test: [evalAt("30s", alert), evalAt("1m", alert, expected), evalAt("20m", alert, expected)],
            },
            { name: "one available", input_series: [series(blue("ipam_available_subnets"), `1x${STEPS}`)], alert_rule_test: [evalAt("20m", alert)] },
        ]);
        expectPassed(run);
    });

    it("HighAllocationFailureRate: fires after 5 m above 10 % failures, never at exactly 10 % or with no allocations", async () => {
        const alert = "HighAllocationFailureRate";
        const allocations = (success: number, failure: number) => [
            series(blue("ipam_allocations_total", ',status="success"'), `0+${success}x${STEPS}`),
            series(blue("ipam_allocations_total", ',status="failure"'), `0+${failure}x${STEPS}`),
        ];
        const expected = firing(alert, "blue", "11.11% of allocations failing for blue");
        const run = await testRules("failure-rate.test.yaml", [
            {
                // rate() has a value from the second scrape (30 s) on, and the ratio of two rates over the same scrapes is exact from there.
                name: "1 failure in 9",
                input_series: allocations(8, 1),
                alert_rule_test: [evalAt("5m", alert), evalAt("5m30s", alert, expected), evalAt("20m", alert, expected)],
            },
            { name: "1 failure in 10", input_series: allocations(9, 1), alert_rule_test: [evalAt("20m", alert)] },
            { name: "no allocations (0 / 0)", input_series: allocations(0, 0), alert_rule_test: [evalAt("20m", alert)] },
        ]);
        expectPassed(run);
    });

    it("FrequentOptimisticLockConflicts: fires after 5 m above 1 conflict/s, never at 1/s", async () => {
        const alert = "FrequentOptimisticLockConflicts";
        const conflicts = (perScrape: number) => [series(blue("ipam_conflicts_total"), `0+${perScrape}x${STEPS}`)];
        const run = await testRules("conflicts.test.yaml", [
            {
                // 20/s: above 1/s over the 5 m window from the second scrape (30 s) on, so it fires at 5 m 30 s.
                name: "20 per second",
                input_series: conflicts(600),
                alert_rule_test: [evalAt("5m", alert), evalAt("5m30s", alert, firing(alert, "blue", "Frequent lock conflicts on blue"))],
            },
            {
                name: "1.1 per second",
                input_series: conflicts(33),
                alert_rule_test: [evalAt("20m", alert, firing(alert, "blue", "Frequent lock conflicts on blue"))],
            },
            { name: "1 per second", input_series: conflicts(30), alert_rule_test: [evalAt("20m", alert)] },
        ]);
        expectPassed(run);
    });

    it("fails with promtool's report when an expectation is wrong, so the tests above can fail", async () => {
        const run = await testRules("wrong.test.yaml", [
            {
                name: "expects the alert before its for duration",
                input_series: [series(blue("ipam_available_subnets"), `0x${STEPS}`)],
                alert_rule_test: [evalAt("30s", "IPAMExhausted", firing("IPAMExhausted", "blue", "Slice blue has no available subnets"))],
            },
        ]);
        expect(run.code).toBe(1);
        expect(run.output).toContain("FAILED");
        expect(run.output).toContain("alertname: IPAMExhausted, time: 30s");
    });
});

/**
 * blue: 10.1.0.0/22 in /24s, so 4 subnets, with a 1 h grace period; a, b, c
 * and d join at t=10 s and b, c and d leave at t=100 s.
 */
function fourSubnets(): { full: SliceLedger; oneLeft: SliceLedger } {
    let full = ledgerFor({ sliceName: "blue", sliceSubnet: "10.1.0.0/22", subnetSize: 24, gracePeriodSeconds: 3600 });
    for (const cluster of ["a", "b", "c", "d"]) full = mustAllocate(full, cluster, at(10)).ledger;
    let oneLeft = full;
    for (const cluster of ["b", "c", "d"]) oneLeft = release(oneLeft, cluster, at(100)).ledger;
    return { full, oneLeft };
}

/** What Prometheus scrapes from `slice-ipam metrics` serving these ledgers at `now`, held for the whole test. */
async function scraped(ledgers: readonly SliceLedger[], now: Date, unreadable: readonly string[] = []): Promise<InputSeries[]> {
    return constantInputSeries(samplesOf(await renderExposition(ledgerMetricFamilies(ledgers, now, unreadable))), STEPS);
}

/** Every alert of the resource at 20 m, firing exactly as `expected` says (absent: not firing). */
function everyAlert(expected: Partial<Record<string, ExpectedAlert[]>>): AlertTest[] {
    return ALERTS.map((alert) => evalAt("20m", alert, ...(expected[alert] ?? [])));
}

describe("promtool test rules on the exporter's own output", () => {
    const utilization = () => firing("HighIPAMUtilization", "blue", "Slice blue at 100% capacity");
    const exhausted = () => firing("IPAMExhausted", "blue", "Slice blue has no available subnets");

    it("a full slice: HighIPAMUtilization and IPAMExhausted fire, nothing else", async () => {
        const run = await testRules("exporter-full.test.yaml", [
            {
                name: "4 of 4 subnets allocated",
                input_series: await scraped([fourSubnets().full], at(50)),
                alert_rule_test: everyAlert({ HighIPAMUtilization: [utilization()], IPAMExhausted: [exhausted()] }),
            },
        ]);
        expectPassed(run);
    });

    it("1 active and 3 Released in grace: IPAMExhausted fires (they are reserved), HighIPAMUtilization does not", async () => {
        const run = await testRules("exporter-in-grace.test.yaml", [
            {
                name: "3 of 4 subnets reserved for their clusters",
                input_series: await scraped([fourSubnets().oneLeft], at(100 + 1800)),
                alert_rule_test: everyAlert({ IPAMExhausted: [exhausted()] }),
            },
        ]);
        expectPassed(run);
    });

    it("1 active and 3 Released past grace, not yet reclaimed: neither HighIPAMUtilization nor IPAMExhausted (nor any alert) fires", async () => {
        const { oneLeft } = fourSubnets();
        // Nothing reclaimed them: the ledger still holds the three Released entries.
        expect(oneLeft.allocations.map((entry) => entry.status)).toEqual(["Allocated", "Released", "Released", "Released"]);
        const input = await scraped([oneLeft], at(100 + 3600 + 60));
        expect(input).toEqual(
            expect.arrayContaining([series(blue("ipam_available_subnets"), `3x${STEPS}`), series(blue("ipam_utilization_rate"), `0.25x${STEPS}`)]),
        );
        const run = await testRules("exporter-past-grace.test.yaml", [
            { name: "3 of 4 subnets reclaimable", input_series: input, alert_rule_test: everyAlert({}) },
        ]);
        expectPassed(run);
    });

    it("an unreadable slice beside a readable one: IPAMSliceUnreadable fires for it alone", async () => {
        const run = await testRules("exporter-unreadable.test.yaml", [
            {
                name: "green unreadable",
                input_series: await scraped([fourSubnets().oneLeft], at(100 + 3600 + 60), ["green"]),
                alert_rule_test: everyAlert({ IPAMSliceUnreadable: [firing("IPAMSliceUnreadable", "green", "Slice green's ledger cannot be read")] }),
            },
        ]);
        expectPassed(run);
    });
});
