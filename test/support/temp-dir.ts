import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** A fresh directory under the system temp dir, and its removal. */
export function makeTempDir(prefix = "kubeslice-ipam-"): { dir: string; remove: () => void } {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
