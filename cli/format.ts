import { stringify } from "yaml";

/**
 * Text formatting for the CLI. Pure: values in, strings out.
 */

export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<Row> {
    readonly header: string;
    readonly cell: (row: Row) => string;
}

/**
 * A kubectl-style table: upper-case headers, left-aligned columns three
 * spaces apart, no borders, no trailing spaces.
 */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
    const cells = [columns.map((column) => column.header), ...rows.map((row) => columns.map((column) => column.cell(row)))];
    const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
    return cells
        .map((line) =>
            line
                .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i])))
                .join("   ")
                .trimEnd(),
        )
        .join("\n")
        .concat("\n");
}

/** Data as JSON (2-space indent) or YAML, ending with a newline. */
export function renderDocument(format: Exclude<OutputFormat, "table">, data: unknown): string {
    return format === "json" ? `${JSON.stringify(data, null, 2)}\n` : stringify(data);
}

/**
 * A duration as kubectl prints ages (k8s.io/apimachinery `HumanDuration`):
 * `45s`, `5m30s`, `95m`, `3h20m`, `20h`, `3d4h`, `12d`, `2y30d`. Negative
 * durations of a second or less print `0s` (clock skew); beyond that
 * `<invalid>`.
 */
export function humanDuration(milliseconds: number): string {
    const seconds = Math.floor(milliseconds / 1000);
    if (seconds < -1) {
        return "<invalid>";
    }
    if (seconds < 0) {
        return "0s";
    }
    if (seconds < 120) {
        return `${seconds}s`;
    }
    const minutes = Math.floor(seconds / 60);
    if (minutes < 10) {
        return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
    }
    if (minutes < 180) {
        return `${minutes}m`;
    }
    const hours = Math.floor(minutes / 60);
    if (hours < 8) {
        return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
    }
    if (hours < 48) {
        return `${hours}h`;
    }
    const days = Math.floor(hours / 24);
    if (hours < 24 * 8) {
        return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
    }
    if (days < 365 * 2) {
        return `${days}d`;
    }
    const years = Math.floor(days / 365);
    if (years < 8) {
        return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
    }
    return `${years}y`;
}

/** A 0..1 ratio as a percentage with one decimal: `0.8%`, `98.8%`, `100.0%`. */
export function percent(ratio: number): string {
    return `${(Math.round(ratio * 1000) / 10).toFixed(1)}%`;
}

/** An integer with thousands separators, as the guide writes address counts: `655,360`. */
export function thousands(value: number | bigint): string {
    // A whole number past 2^53 (an IPv6 pool's size) prints its exact value, not the shortest float text.
    const exact = typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) ? BigInt(value) : value;
    return exact.toLocaleString("en-US");
}

/** An ISO-8601 timestamp without milliseconds, as kubectl prints them: `2025-11-19T10:00:00Z`. */
export function shortTimestamp(iso: string): string {
    return iso.replace(/\.\d+Z$/, "Z");
}
