import { randomBytes } from "node:crypto";
import { closeSync, constants as fsConstants, lstatSync, openSync, promises as fs, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isNotFound, syncDirectory, writeNewFileDurably } from "../fs/atomic-file";
import { symlinkRefused, unreadable, writeFailure } from "./file-store-errors";
import { CorruptLedgerError } from "./ledger-document";

// A slice's directory of revision files as the file store sees it: the names
// (`<revision, 12 digits>.json`), the highest revision, publishing the next
// one by hard link (link(2) fails when the name exists: the compare-and-swap
// of file-store.ts), pruning, and reading a file without following a link.

/** Temporary files older than this were left by a killed writer. */
const ORPHAN_TEMP_MS = 60_000;
const REVISION_DIGITS = 12;
const REVISION_FILE = /^(\d{12})\.json$/;
/** A number-named document of another width: a revision this store could neither order nor write after. */
const MISNUMBERED_FILE = /^\d+\.json$/;
export const LAST_REVISION = 10 ** REVISION_DIGITS - 1;
const TEMP_PREFIX = ".tmp-";

/** Writes `text` to a temporary file, then links it as `revision`: false when that name exists. */
export async function publishRevision(description: string, sliceName: string, directory: string, revision: number, text: string): Promise<boolean> {
    const target = path.join(directory, revisionFileName(revision));
    const temporary = path.join(directory, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`);
    try {
        await ensureSliceDirectory(directory);
        await writeNewFileDurably(temporary, text);
        try {
            await fs.link(temporary, target);
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "EEXIST") {
                return false;
            }
            if (code === "ENOENT") {
                return false; // our temporary file was swept as an orphan: we were paused for a minute
            }
            throw error;
        }
        await syncDirectory(directory);
        return true;
    } catch (error) {
        throw writeFailure(description, sliceName, target, error);
    } finally {
        await fs.rm(temporary, { force: true }).catch(() => undefined);
    }
}

/** The highest revision in a slice's directory, or undefined when there is none. */
export async function highestRevision(directory: string): Promise<number | undefined> {
    let entries: string[];
    try {
        // Synchronous for the reason given at readBytes.
        const stat = lstatSync(directory);
        if (stat.isSymbolicLink()) {
            throw symlinkRefused(directory);
        }
        if (!stat.isDirectory()) {
            throw new CorruptLedgerError(directory, ["must be a directory of revision files"]);
        }
        entries = readdirSync(directory);
    } catch (error) {
        if (isNotFound(error)) {
            return undefined;
        }
        throw error;
    }
    let highest: number | undefined;
    for (const entry of entries) {
        const match = REVISION_FILE.exec(entry);
        if (match !== null) {
            highest = Math.max(highest ?? 0, Number(match[1]));
        } else if (MISNUMBERED_FILE.test(entry)) {
            throw new CorruptLedgerError(path.join(directory, entry), [
                `revision file names have exactly ${REVISION_DIGITS} digits; the store cannot order this one with the others, ` +
                    `so it refuses the slice rather than ignore it (a revision written past ${LAST_REVISION} would be invisible)`,
            ]);
        }
    }
    return highest;
}

/** Removes revisions older than the previous one, and temporary files of killed writers. */
export async function pruneRevisions(directory: string, revision: number): Promise<void> {
    const entries = await fs.readdir(directory).catch(() => [] as string[]);
    const now = Date.now();
    await Promise.all(
        entries.map(async (entry) => {
            const file = path.join(directory, entry);
            const match = REVISION_FILE.exec(entry);
            if (match !== null && Number(match[1]) < revision - 1) {
                await fs.rm(file, { force: true }).catch(() => undefined);
            } else if (entry.startsWith(TEMP_PREFIX)) {
                const stat = await fs.lstat(file).catch(() => undefined);
                if (stat !== undefined && now - stat.mtimeMs > ORPHAN_TEMP_MS) {
                    await fs.rm(file, { force: true }).catch(() => undefined);
                }
            }
        }),
    );
}

async function ensureSliceDirectory(directory: string): Promise<void> {
    try {
        await fs.mkdir(directory);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
            throw error;
        }
        if ((await fs.lstat(directory)).isSymbolicLink()) {
            throw symlinkRefused(directory);
        }
    }
}

/** Reads a file as text without following a symbolic link; undefined when it does not exist. */
export async function readText(file: string): Promise<string | undefined> {
    return readBytes(file)?.toString("utf8");
}

/**
 * Reads a file without following a symbolic link; undefined when it does
 * not exist. Synchronous, like the directory reads before it: the engine
 * checks resources one at a time, every check of a requested subnet
 * loads the slice, and on a local disk the thread-pool round trips of an
 * asynchronous read cost ten times the system calls themselves.
 */
export function readBytes(file: string): Buffer | undefined {
    let fd: number;
    try {
        fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
            return undefined;
        }
        if (code === "ELOOP") {
            throw symlinkRefused(file);
        }
        throw unreadable(file, error);
    }
    try {
        return readFileSync(fd);
    } catch (error) {
        throw unreadable(file, error); // EISDIR (a directory where a revision belongs), EIO, …
    } finally {
        closeSync(fd);
    }
}

export function revisionFileName(revision: number): string {
    return `${String(revision).padStart(REVISION_DIGITS, "0")}.json`;
}

/** The current revision is the last a revision file name can hold: refused before anything is written. */
export function revisionsExhausted(file: string): CorruptLedgerError {
    return new CorruptLedgerError(file, [
        `its revision is ${LAST_REVISION}, the last a ${REVISION_DIGITS}-digit revision file name holds, so no next revision ` +
            `can be written; nothing was written. kubeslice-ipam adds one revision per write, so a number this high was set by ` +
            `hand: rename the file, and its "revision" field, to the previous revision's number plus one`,
    ]);
}
