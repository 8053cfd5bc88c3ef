import { SliceLedger } from "../provider/core/ledger";
import { humanDuration, percent, shortTimestamp, thousands } from "./format";
import { HTML_MAX_CELLS, SliceMap, sliceMap } from "./map-layout";
import { CHANGE_LEGEND, withIpv6 } from "./map-legend";
import { runText } from "./map-text";
import { planSlice, PreviewStepChange, reclaimedNote, SlicePlan, unplacedChanges } from "./preview-plan";
import { REPORT_CSS, REPORT_SCRIPT } from "./report-assets";
import { escapeHtml, gridHtml, legendHtml, panelHtml, utilizationHtml } from "./report-grid";
import { allocationViews, SavingsReport, subnetsText, savingsReport, SavingsTotal, SliceSavings } from "./views";

/**
 * `slice-ipam report --html`: one self-contained page (inline style and
 * script, a Content-Security-Policy that forbids loading anything) with, per
 * slice, its figures, utilization bar, map, Released subnets and savings,
 * and with `--plan`, what a preview changes, drawn beside the ledger. Pure.
 */

export interface ReportInput {
    readonly ledgers: readonly SliceLedger[];
    readonly now: Date;
    /** Where the ledgers were read, e.g. the store's description. */
    readonly source: string;
    /** A preview's changes and the file they came from. */
    readonly preview?: { readonly name: string; readonly changes: readonly PreviewStepChange[] };
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export function reportHtml(input: ReportInput): string {
    const { ledgers, now } = input;
    const savings = savingsReport(ledgers, now);
    const names = ledgers.map((ledger) => ledger.spec.sliceName);
    const title = `Address space: ${names.join(", ") || "no slices"}`;
    const body = [
        `<header><h1>${escapeHtml(title)}</h1>`,
        `<p class="muted">Read from ${escapeHtml(input.source)}; states and grace periods as of ${escapeHtml(shortTimestamp(now.toISOString()))}. Made by <code>slice-ipam report</code>.</p>`,
        ...savingsTotals(savings).map((sentence) => `<p>${escapeHtml(sentence)}</p>`),
        `</header>`,
        `<nav aria-label="Slices"><ul>${input.preview === undefined ? "" : `<li><a href="#plan">This change</a></li>`}${names.map((name) => `<li><a href="#slice-${escapeHtml(name)}">${escapeHtml(name)}</a></li>`).join("")}</ul></nav>`,
        `<main>`,
        input.preview === undefined ? "" : planSection(ledgers, input.preview, now),
        ...ledgers.map((ledger, i) => sliceSection(ledger, now, savings.slices[i])),
        ledgers.length === 0 ? `<p>The store holds no slices.</p>` : "",
        `</main>`,
    ];
    return (
        `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
        `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
        `<meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head>\n<body>\n${body.join("\n")}\n` +
        `<script>${REPORT_SCRIPT}</script>\n</body></html>\n`
    );
}

/** The report's savings sentences: one for all slices, or one per IP version when there are IPv6 slices. */
function savingsTotals(savings: SavingsReport): string[] {
    const { total, totalIpv6 } = savings;
    if (totalIpv6 === undefined) {
        return [savingsSentence(total, `${total.slices} slice(s)`)];
    }
    return [
        ...(total.slices > 0 ? [savingsSentence(total, `${total.slices} IPv4 slice(s)`)] : []),
        savingsSentence(totalIpv6, `${totalIpv6.slices} IPv6 slice(s)`),
    ];
}

function savingsSentence(figures: SavingsTotal | SliceSavings, what: string): string {
    const count = (figure: "staticAddresses" | "dynamicAddresses" | "savedAddresses") =>
        thousands(figures.exact === undefined ? figures[figure] : BigInt(figures.exact[figure]));
    return (
        `Savings against static pre-allocation, for ${what}: every subnet reserved up front would take ${count("staticAddresses")} addresses; ` +
        `dynamic IPAM holds ${count("dynamicAddresses")}, so ${count("savedAddresses")} (${percent(figures.savings)}) stay free.`
    );
}

function figuresHtml(map: SliceMap, ledger: SliceLedger): string {
    const c = map.capacity;
    const figures: [string, string][] = [
        [
            "pool",
            withIpv6(
                `${map.sliceSubnet} in /${map.subnetSize}s`,
                map.sliceSubnetIpv6 === undefined ? undefined : `${map.sliceSubnetIpv6} in /${map.subnetSizeIpv6}s`,
            ),
        ],
        ["subnets", thousands(c.totalSubnets)],
        ["active (Allocated + InUse)", `${thousands(c.activeSubnets)} (${percent(c.utilization)})`],
        ["of them InUse", thousands(map.counts.InUse)],
        ["Released, reserved", thousands(c.releasedSubnets)],
        ["available (clusters that can join)", thousands(c.availableSubnets)],
        ["largest free run", runText(map.largestFreeRun)],
        ["maxClusters · grace period", `${thousands(ledger.spec.maxClusters)} · ${humanDuration(ledger.spec.gracePeriodSeconds * 1000)}`],
    ];
    return `<dl class="figures">${figures.map(([term, value]) => `<div><dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd></div>`).join("")}</dl>`;
}

function sliceSection(ledger: SliceLedger, now: Date, savings: SliceSavings): string {
    const name = ledger.spec.sliceName;
    const map = sliceMap(ledger, now, { maxCells: HTML_MAX_CELLS });
    return [
        `<section class="slice" id="slice-${escapeHtml(name)}" aria-labelledby="h-${escapeHtml(name)}">`,
        `<h2 id="h-${escapeHtml(name)}">Slice ${escapeHtml(name)}${ledger.spec.sliceSubnetIpv6 === undefined ? "" : `: ${escapeHtml(withIpv6(ledger.spec.sliceSubnet, ledger.spec.sliceSubnetIpv6))}`}</h2>`,
        figuresHtml(map, ledger),
        utilizationHtml(map),
        `<p>${escapeHtml(savingsSentence(savings, `slice ${name}`))}</p>`,
        legendHtml(map),
        gridHtml(map, `grid-${name}`, `Map of slice ${name}`),
        releasedTable(ledger, now),
        allocationsTable(ledger, now),
        `</section>`,
    ].join("\n");
}

function table(caption: string, headers: readonly string[], rows: readonly (readonly string[])[]): string {
    const head = headers.map((header) => `<th scope="col">${escapeHtml(header)}</th>`).join("");
    const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("");
    return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function releasedTable(ledger: SliceLedger, now: Date): string {
    const released = allocationViews(ledger, now).filter((view) => view.releasedAt !== undefined);
    if (released.length === 0) {
        return `<h3>Released subnets</h3><p>None: no subnet is waiting to return to the pool.</p>`;
    }
    const rows = released
        .sort((a, b) => (a.graceEndsAt ?? "").localeCompare(b.graceEndsAt ?? ""))
        .map((view) => [
            view.clusterName,
            subnetsText(view),
            shortTimestamp(view.releasedAt ?? ""),
            shortTimestamp(view.graceEndsAt ?? ""),
            view.reclaimable ? "on the next allocation (grace over)" : `in ${humanDuration((view.graceLeftSeconds ?? 0) * 1000)}`,
        ]);
    const listed = table(
        "Reserved for the cluster that left until the grace period ends; then the next allocation returns them to the pool. Soonest first.",
        ["cluster", "subnet", "released", "grace ends", "returns to the pool"],
        rows,
    );
    if (rows.length <= RELEASED_SHOWN) {
        return `<h3>Released subnets</h3>${listed}`;
    }
    return (
        `<h3>Released subnets</h3><p>${thousands(rows.length)} Released subnets: the first returns to the pool at ${escapeHtml(rows[0][3])} ` +
        `(${escapeHtml(rows[0][4])}), the last at ${escapeHtml(rows[rows.length - 1][3])} (${escapeHtml(rows[rows.length - 1][4])}).</p>` +
        `<details><summary>All ${thousands(rows.length)} Released subnets, soonest first</summary>${listed}</details>`
    );
}

/** More Released subnets than this are summed up, and listed in a collapsed table. */
const RELEASED_SHOWN = 25;

function allocationsTable(ledger: SliceLedger, now: Date): string {
    const views = allocationViews(ledger, now);
    const rows = views.map((view) => [
        view.clusterName,
        subnetsText(view),
        view.reclaimable ? "Released (grace over)" : view.status,
        shortTimestamp(view.allocatedAt),
        view.releasedAt === undefined ? "-" : shortTimestamp(view.releasedAt),
    ]);
    return (
        `<details><summary>All ${thousands(views.length)} recorded subnets of slice ${escapeHtml(ledger.spec.sliceName)}, by address</summary>` +
        `${table("As slice-ipam show lists them.", ["cluster", "subnet", "state", "allocated", "released"], rows)}</details>`
    );
}

function planSection(ledgers: readonly SliceLedger[], preview: NonNullable<ReportInput["preview"]>, now: Date): string {
    const plans = ledgers.map((ledger) => planSlice(ledger, preview.changes, now)).filter((plan) => plan.rows.length > 0);
    const unplaced = unplacedChanges(ledgers, preview.changes);
    const parts = [
        `<section id="plan" aria-labelledby="h-plan"><h2 id="h-plan">This change</h2>`,
        `<p>From <code>${escapeHtml(preview.name)}</code> (<code>pulumi preview --json</code>), applied to the ledgers as read now, as <code>pulumi up</code> would: creates first, deletes last.</p>`,
    ];
    if (plans.length === 0 && unplaced.length === 0) {
        parts.push(`<p>The preview changes no subnet allocation.</p>`);
    }
    parts.push(...plans.map((plan) => planHtml(plan, now)));
    if (unplaced.length > 0) {
        parts.push(
            `<h3>Slices not in the store yet</h3>`,
            table(
                "The preview registers these slices too, so they have no ledger to draw yet.",
                ["cluster", "slice", "change", "subnet"],
                unplaced.map((change) => [
                    change.clusterName,
                    change.sliceName ?? "(unknown until up)",
                    CHANGE_LEGEND[change.change].label,
                    subnetsText(change),
                ]),
            ),
        );
    }
    parts.push(`</section>`);
    return parts.join("\n");
}

function planHtml(plan: SlicePlan, now: Date): string {
    const name = plan.before.spec.sliceName;
    const before = sliceMap(plan.before, now, { maxCells: HTML_MAX_CELLS });
    const after = sliceMap(plan.after, now, { maxCells: HTML_MAX_CELLS, changes: plan.changes });
    const joining = plan.rows.filter((row) => row.change === "add").length;
    const leaving = plan.rows.filter((row) => row.change === "release").length;
    const panel = `plan-${name}-panel`;
    const problems = plan.rows.some((row) => row.problem !== undefined);
    return [
        `<h3>Slice ${escapeHtml(name)}: ${joining} joining, ${leaving} released, ${plan.kept} other active cluster(s) kept</h3>`,
        plan.reclaimed.length === 0 ? "" : `<p>${escapeHtml(reclaimedNote(plan.reclaimed))}</p>`,
        table(
            "What the change does to each cluster it touches.",
            ["cluster", "change", "subnet", "outcome", ...(problems ? ["problem"] : [])],
            plan.rows.map((row) => [
                row.clusterName,
                `${CHANGE_LEGEND[row.change].letter} ${CHANGE_LEGEND[row.change].label}`,
                subnetsText(row),
                row.outcome,
                ...(problems ? [row.problem ?? ""] : []),
            ]),
        ),
        legendHtml(after),
        `<div class="grid-wrap">`,
        `<div class="plan-side">${gridHtml(before, `plan-${name}-now`, `Slice ${name} now`, panel)}</div>`,
        `<div class="plan-side">${gridHtml(after, `plan-${name}-after`, `Slice ${name} with this change`, panel)}</div>`,
        panelHtml(panel),
        `</div>`,
    ].join("\n");
}
