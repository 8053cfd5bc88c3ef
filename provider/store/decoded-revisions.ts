import * as path from "node:path";
import { decodeRevision, digestOf, FileRevision } from "./file-document";

interface Decoded {
    readonly file: string;
    readonly text: string;
    readonly stored: FileRevision;
}

// Pulumi calls one provider process for every resource of a kind, and each
// check and create loads the slice: without this, a slice of N clusters is
// decoded and validated N times per deployment. Process-wide through a global
// symbol, like the commit queues, so provider objects capture nothing.
const CACHE_KEY = Symbol.for("kubeslice-ipam.decoded-revisions");

function cache(): Map<string, Decoded> {
    const registry = globalThis as unknown as Record<symbol, Map<string, Decoded> | undefined>;
    return (registry[CACHE_KEY] ??= new Map<string, Decoded>());
}

/**
 * {@link decodeRevision}, reusing the last result for the slice when the file
 * and its bytes are exactly those decoded before (so every check it made
 * holds). One entry per slice directory. The result is deeply frozen: it is
 * shared by every caller in the process.
 */
export function decodeRevisionOnce(file: string, text: string, sliceName: string, revision: number): FileRevision {
    const key = path.dirname(file);
    const hit = cache().get(key);
    if (hit !== undefined && hit.file === file && hit.text === text) {
        return hit.stored;
    }
    return rememberRevision(file, text, decodeRevision(file, text, sliceName, revision));
}

/**
 * The digest of `text`, the bytes of `file`: remembered with the decoded
 * revision, since hashing the whole ledger on every load of a large slice is
 * most of a load's cost once decoding is cached.
 */
export function digestOnce(file: string, text: string): string {
    const hit = cache().get(path.dirname(file));
    return hit !== undefined && hit.file === file && hit.text === text ? hit.stored.digest : digestOf(text);
}

/**
 * Records what `text`, the bytes of `file`, decodes to: after a write, the
 * ledger the store read back from the document before publishing it.
 */
export function rememberRevision(file: string, text: string, stored: FileRevision): FileRevision {
    const frozen = deepFreeze(stored);
    cache().set(path.dirname(file), { file, text, stored: frozen });
    return frozen;
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const child of Object.values(value)) {
            deepFreeze(child);
        }
    }
    return value;
}
