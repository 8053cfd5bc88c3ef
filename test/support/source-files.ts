import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";

/** The repository's root, where `SOURCE`'s entries are. */
export const ROOT = path.resolve(__dirname, "..", "..");

/** The package's source: what ships, as opposed to tests, benchmarks and examples. */
export const SOURCE = ["provider", "resources", "components", "native", "cli", "metrics", "bin", "index.ts"];

/** The TypeScript files under `entry` (a file or directory relative to {@link ROOT}), relative to it. */
export function sourceFiles(entry: string): string[] {
    const full = path.join(ROOT, entry);
    if (statSync(full).isDirectory()) {
        return readdirSync(full).flatMap((name) => sourceFiles(path.join(entry, name)));
    }
    return entry.endsWith(".ts") && !entry.endsWith(".d.ts") ? [entry] : [];
}
