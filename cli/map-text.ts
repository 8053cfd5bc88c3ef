import { percent, thousands } from "./format";
import { MapCell, SliceMap, stateCount, SUBNET_STATES, SubnetRun } from "./map-layout";
import { cellPrefix, CHANGE_LEGEND, changeOf, glyphOf, MIXED_NOTE, runSubnetsText, STATE_LEGEND, withIpv6 } from "./map-legend";

/**
 * `slice-ipam map` as text: the grid (a row label, then cells in groups of
 * eight), the legend with each state's count, and the capacity figures.
 * Colour is ANSI SGR and only ever added around a letter that says the same.
 */

export type ColourWhen = "auto" | "always" | "never";
export const COLOUR_WHEN: readonly ColourWhen[] = ["auto", "always", "never"];

/**
 * Whether to colour: `--color always|never` decides; else NO_COLOR (any
 * non-empty value, no-color.org) turns it off, FORCE_COLOR (not "0") on, and
 * otherwise only a terminal gets colour.
 */
export function colourEnabled(when: ColourWhen, isTerminal: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
    if (when !== "auto") {
        return when === "always";
    }
    if ((env.NO_COLOR ?? "") !== "") {
        return false;
    }
    if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") {
        return true;
    }
    return isTerminal;
}

const SGR: Readonly<Record<string, string>> = {
    InUse: "32",
    Allocated: "34",
    Released: "33",
    expired: "35",
    free: "90",
    add: "1;36",
    release: "1;31",
    both: "1;35",
};

function paint(text: string, style: string, colour: boolean): string {
    return colour ? `\u001b[${style}m${text}\u001b[0m` : text;
}

const GROUP = 8;

/** The map of one slice; `title` heads it (e.g. "now", "with this change"). */
export function renderMapText(map: SliceMap, colour: boolean, title?: string): string {
    const lines: string[] = [];
    const cellCidr = `/${cellPrefix(map.subnetSize, map.subnetsPerCell)}`;
    const scale =
        map.subnetsPerCell === 1
            ? "one cell per subnet"
            : `one cell per ${thousands(map.subnetsPerCell)} subnets (a ${cellCidr} of /${map.subnetSize}s)`;
    const pools = withIpv6(`${map.sliceSubnet} in /${map.subnetSize} subnets`, ipv6PoolText(map));
    lines.push(`slice ${map.slice}${title === undefined ? "" : ` (${title})`}: ${pools}, ${thousands(map.totalSubnets)} subnets, ${scale}`);
    lines.push("");
    const rows = chunk(map.cells, map.columns);
    const labelWidth = Math.max(...rows.map((row) => row[0].firstSubnet.length));
    for (const row of rows) {
        const groups = chunk(row, GROUP).map((group) => group.map((cell) => cellText(cell, colour)).join(""));
        lines.push(`${row[0].firstSubnet.padEnd(labelWidth)}  ${groups.join(" ")}`);
    }
    lines.push("");
    lines.push(...legendLines(map, colour));
    lines.push("");
    lines.push(...figureLines(map));
    return `${lines.join("\n")}\n`;
}

function cellText(cell: MapCell, colour: boolean): string {
    return paint(glyphOf(cell), SGR[changeOf(cell) ?? cell.state], colour);
}

function legendLines(map: SliceMap, colour: boolean): string[] {
    const lines = SUBNET_STATES.map((state) => {
        const item = STATE_LEGEND[state];
        return `  ${paint(item.letter, SGR[state], colour)}  ${item.label}: ${thousands(stateCount(map, state))} (${item.meaning})`;
    });
    const changes = map.cells.flatMap((cell) => cell.changes);
    for (const change of ["add", "release"] as const) {
        if (changes.includes(change)) {
            const item = CHANGE_LEGEND[change];
            lines.push(
                `  ${paint(item.letter, SGR[change], colour)}  ${item.label}: ${changes.filter((c) => c === change).length} cell(s) (${item.meaning})`,
            );
        }
    }
    if (map.cells.some((cell) => cell.changes.length > 1)) {
        lines.push(`  ${paint(CHANGE_LEGEND.both.letter, SGR.both, colour)}  ${CHANGE_LEGEND.both.label} (${CHANGE_LEGEND.both.meaning})`);
    }
    if (map.subnetsPerCell > 1) {
        lines.push(`  ${MIXED_NOTE}`);
    }
    return [`legend (state: subnets):`, ...lines];
}

/** A dual-stack slice's IPv6 pool as the header names it; undefined for a single-stack slice. */
function ipv6PoolText(map: SliceMap): string | undefined {
    return map.sliceSubnetIpv6 === undefined ? undefined : `${map.sliceSubnetIpv6} in /${map.subnetSizeIpv6} subnets (one of each per cluster)`;
}

export function figureLines(map: SliceMap): string[] {
    const { capacity } = map;
    // A dual-stack slice's figures count indexes: each is a subnet of both pools.
    const pools = map.sliceSubnetIpv6 === undefined ? "" : ` in each of ${map.sliceSubnet} and ${map.sliceSubnetIpv6}`;
    return [
        `active: ${thousands(capacity.activeSubnets)} of ${thousands(capacity.totalSubnets)} subnets${pools} (utilization ${percent(capacity.utilization)})`,
        `released, reserved: ${thousands(capacity.releasedSubnets)}`,
        `available: ${thousands(capacity.availableSubnets)} (clusters that can join now)`,
        `largest free run: ${runText(map.largestFreeRun)}`,
    ];
}

export function runText(run: SubnetRun | undefined): string {
    if (run === undefined) {
        return "none (every subnet is held)";
    }
    const length = run.lengthExact === undefined ? run.length : BigInt(run.lengthExact);
    if (run.length === 1) {
        return `${withIpv6(run.firstSubnet, run.firstSubnetIpv6)} (1 subnet)`;
    }
    return `${runSubnetsText(run)} (${thousands(length)} subnets)`;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
    const chunks: T[][] = [];
    for (let i = 0; i < items.length; i += size) {
        chunks.push(items.slice(i, i + size));
    }
    return chunks;
}
