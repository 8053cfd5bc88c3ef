import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";

/**
 * Replaces `file` with `contents` so that readers see the old or the new
 * bytes, never a mix: temp file → fsync → rename → fsync directory.
 */
export async function writeFileAtomically(file: string, contents: string): Promise<void> {
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
        await writeNewFileDurably(temporary, contents);
        await fs.rename(temporary, file);
    } catch (error) {
        await fs.rm(temporary, { force: true });
        throw error;
    }
    await syncDirectory(path.dirname(file));
}

/** Creates `file` (never an existing one) with `contents`, flushed to disk before it returns. */
export async function writeNewFileDurably(file: string, contents: string): Promise<void> {
    const handle = await fs.open(file, "wx", 0o644);
    try {
        await handle.writeFile(contents, "utf8");
        await handle.sync();
    } finally {
        await handle.close();
    }
}

/** Makes a rename or unlink in `directory` durable; without it a power cut can undo it. */
export async function syncDirectory(directory: string): Promise<void> {
    const handle = await fs.open(directory, "r");
    try {
        await handle.sync();
    } finally {
        await handle.close();
    }
}

export function isNotFound(error: unknown): boolean {
    return (error as NodeJS.ErrnoException)?.code === "ENOENT";
}
