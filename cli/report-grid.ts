import { percent, shortTimestamp, thousands } from "./format";
import { exactCount } from "../provider/core/pool";
import { MapCell, MapEntry, SliceMap, stateCount, SUBNET_STATES } from "./map-layout";
import { cellPrefix, CHANGE_LEGEND, changeOf, glyphOf, MIXED_NOTE, runSubnetsText, STATE_LEGEND, withIpv6 } from "./map-legend";

/**
 * The HTML of one map: an ARIA grid of cells (each with its letter and a
 * label saying its subnets, state and, for one subnet, cluster and dates),
 * the panel hover and focus fill, the legend, and the utilization bar. Pure.
 */

export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that can sit inside a <script> element. */
export function scriptJson(data: unknown): string {
    return JSON.stringify(data).replace(/</g, "\\u003c");
}

/** The words a cell says: its range, and what is in it. */
export function cellLabel(map: SliceMap, cell: MapCell): string {
    const changes = cell.changes.map((change) => `${CHANGE_LEGEND[change].label} in this change`);
    if (cell.length === 1) {
        const subnets = withIpv6(cell.firstSubnet, cell.firstSubnetIpv6);
        const entry = cell.entries[0];
        if (entry === undefined) {
            return `${subnets}: free`;
        }
        return [`${subnets}: ${entryText(entry)}`, ...changes].join("; ");
    }
    const range = `${cell.firstSubnet.replace(/\/\d+$/, "")}/${cellPrefix(map.subnetSize, map.subnetsPerCell)}`;
    const mix = SUBNET_STATES.filter((state) => cell.counts[state] > 0).map((state) => `${cell.counts[state]} ${STATE_LEGEND[state].label}`);
    return [`${range} (${exactCount(cell.length)} subnets, ${runSubnetsText(cell)}): ${mix.join(", ")}`, ...changes].join("; ");
}

function entryText(entry: MapEntry): string {
    const parts = [`${STATE_LEGEND[entry.state].label}, cluster ${entry.clusterName}`, `allocated ${shortTimestamp(entry.allocatedAt)}`];
    if (entry.releasedAt !== undefined) {
        parts.push(`released ${shortTimestamp(entry.releasedAt)}`);
    }
    if (entry.graceEndsAt !== undefined) {
        parts.push(`${entry.reclaimable ? "grace ended" : "grace ends"} ${shortTimestamp(entry.graceEndsAt)}`);
    }
    return parts.join(", ");
}

/** What the panel lists for each recorded subnet of a cell, in the script's FIELDS order. */
function entryFields(entry: MapEntry): string[] {
    const state = STATE_LEGEND[entry.state].label + (entry.change === undefined ? "" : ` (${CHANGE_LEGEND[entry.change].label} in this change)`);
    return [
        entry.clusterName,
        entry.subnet,
        state,
        shortTimestamp(entry.allocatedAt),
        entry.releasedAt === undefined ? "" : shortTimestamp(entry.releasedAt),
        entry.graceEndsAt === undefined ? "" : shortTimestamp(entry.graceEndsAt),
        ...(entry.subnetIpv6 === undefined ? [] : [entry.subnetIpv6]),
    ];
}

function cellSizePx(columns: number): number {
    return columns >= 64 ? 13 : columns >= 32 ? 17 : 24;
}

/** The box hover and focus fill with a cell's subnets. */
export function panelHtml(id: string): string {
    return `<div class="panel" id="${id}"><p class="muted">Hover or focus a cell to see its cluster, subnet, state and dates.</p></div>`;
}

/**
 * The grid of a map and the data its panel shows; `id` must be unique in the
 * page. With `sharedPanel`, cells fill that panel (grids drawn side by side
 * share one), else the grid gets its own beside it.
 */
export function gridHtml(map: SliceMap, id: string, caption: string, sharedPanel?: string): string {
    const entries: Record<number, string[][]> = {};
    const rows: string[] = [];
    for (let start = 0; start < map.cells.length; start += map.columns) {
        const cells = map.cells.slice(start, start + map.columns).map((cell, offset) => {
            const at = start + offset;
            if (cell.entries.length > 0) {
                entries[at] = cell.entries.map(entryFields);
            }
            const change = changeOf(cell);
            const classes = ["c", `s-${cell.state}`, ...(cell.uniform ? [] : ["mixed"]), ...(change === undefined ? [] : [`ch-${change}`])];
            return (
                `<span role="gridcell" class="${classes.join(" ")}" data-c="${at}" data-state="${cell.state}"` +
                `${change === undefined ? "" : ` data-change="${change}"`} tabindex="${at === 0 ? 0 : -1}" aria-label="${escapeHtml(cellLabel(map, cell))}">` +
                `${escapeHtml(glyphOf(cell))}</span>`
            );
        });
        rows.push(`<div role="row"><span role="rowheader" class="rowhead">${escapeHtml(map.cells[start].firstSubnet)}</span>${cells.join("")}</div>`);
    }
    const scale =
        map.subnetsPerCell === 1
            ? "one cell per subnet"
            : `one cell per ${thousands(map.subnetsPerCell)} subnets (a /${cellPrefix(map.subnetSize, map.subnetsPerCell)})`;
    return (
        `<figure class="map"><figcaption>${escapeHtml(caption)}: ${escapeHtml(withIpv6(map.sliceSubnet, map.sliceSubnetIpv6))}, ${thousands(map.totalSubnets)} /${map.subnetSize} subnets, ${scale}. ` +
        `<span class="no-print">Hover or focus a cell (Tab, then the arrow keys) for its subnets.</span></figcaption>` +
        `<div class="grid-wrap"><div class="grid" role="grid" id="${id}" aria-label="${escapeHtml(`${caption}: ${map.cells.length} cells, ${scale}`)}" ` +
        `data-columns="${map.columns}" data-block="${map.subnetsPerCell}" data-entries="${id}-entries" data-panel="${sharedPanel ?? `${id}-panel`}" style="--cell:${cellSizePx(map.columns)}px">${rows.join("")}</div>` +
        `${sharedPanel === undefined ? panelHtml(`${id}-panel`) : ""}</div>` +
        `<script type="application/json" id="${id}-entries">${scriptJson(entries)}</script></figure>`
    );
}

/** The legend of a map: each state's swatch, letter, meaning and count; the change signs when there are changes. */
export function legendHtml(map: SliceMap): string {
    const items = SUBNET_STATES.map((state) => {
        const item = STATE_LEGEND[state];
        return `<li><span class="swatch s-${state}" aria-hidden="true">${escapeHtml(item.letter)}</span><span><strong>${escapeHtml(item.letter)} ${escapeHtml(item.label)}</strong>: ${thousands(stateCount(map, state))} subnets (${escapeHtml(item.meaning)})</span></li>`;
    });
    const changes = new Set(map.cells.map(changeOf).filter((change) => change !== undefined));
    for (const change of ["add", "release", "both"] as const) {
        if (changes.has(change)) {
            const item = CHANGE_LEGEND[change];
            items.push(
                `<li><span class="swatch ch-${change}" aria-hidden="true">${escapeHtml(item.letter)}</span><span><strong>${escapeHtml(item.letter)} ${escapeHtml(item.label)}</strong> (${escapeHtml(item.meaning)})</span></li>`,
            );
        }
    }
    if (map.subnetsPerCell > 1) {
        items.push(
            `<li><span class="swatch s-Allocated mixed" aria-hidden="true">a</span><span>${escapeHtml(MIXED_NOTE)}, drawn striped</span></li>`,
        );
    }
    return `<ul class="legend" aria-label="Legend">${items.join("")}</ul>`;
}

/** The pool's utilization as a stacked bar, with the same figures as text beside it. */
export function utilizationHtml(map: SliceMap): string {
    const shares = SUBNET_STATES.map((state) => ({ state, count: stateCount(map, state), share: map.counts[state] / map.totalSubnets }));
    const text = shares.map(({ state, count, share }) => `${STATE_LEGEND[state].label} ${thousands(count)} (${percent(share)})`).join(", ");
    const segments = shares
        .filter(({ count }) => count > 0)
        .map(({ state, share }) => `<span class="s-${state}" style="width:${(share * 100).toFixed(4)}%"></span>`)
        .join("");
    return (
        `<figure class="utilization"><figcaption>Utilization over the pool: ${percent(map.capacity.utilization)} active</figcaption>` +
        `<div class="bar" role="img" aria-label="${escapeHtml(`Pool of ${thousands(map.totalSubnets)} subnets: ${text}`)}">${segments}</div>` +
        `<p class="mono">${escapeHtml(text)}</p></figure>`
    );
}
