import * as path from "node:path";
import { decodeRevision, digestOf, FileRevision } from "./file-document";
import { processWide } from "./process-wide";

interface Decoded {
    readonly file: string;
    readonly bytes: Buffer;
    readonly stored: FileRevision;
}

// Pulumi calls one provider process for every resource of a kind, and each
// check and create loads the slice: without this, a slice of N clusters is
// decoded and validated N times per deployment. Process-wide through a global
// symbol, like the commit queues, so provider objects capture nothing.
const cache = () => processWide("kubeslice-ipam.decoded-revisions", () => new Map<string, Decoded>());

/**
 * {@link decodeRevision}, reusing the last result for the slice when the file
 * and its bytes are exactly those decoded before (so every check it made
 * holds). One entry per slice directory. The result is deeply frozen: it is
 * shared by every caller in the process.
 */
export function decodeRevisionOnce(file: string, bytes: Buffer, sliceName: string, revision: number): FileRevision {
    return cachedRevision(file, bytes) ?? rememberRevision(file, bytes, decodeRevision(file, bytes.toString("utf8"), sliceName, revision));
}

/**
 * The digest of `bytes`, the contents of `file`: remembered with the decoded
 * revision, since hashing the whole ledger on every load of a large slice is
 * most of a load's cost once decoding is cached.
 */
export function digestOnce(file: string, bytes: Buffer): string {
    return cachedRevision(file, bytes)?.digest ?? digestOf(bytes);
}

/**
 * Records what `bytes`, the contents of `file`, decode to: after a write, the
 * ledger the store read back from the document before publishing it.
 */
export function rememberRevision(file: string, bytes: Buffer, stored: FileRevision): FileRevision {
    const frozen = deepFreeze(stored);
    cache().set(path.dirname(file), { file, bytes, stored: frozen });
    return frozen;
}

// Compared as bytes: decoding a large ledger's text only to compare it costs
// several times the read.
function cachedRevision(file: string, bytes: Buffer): FileRevision | undefined {
    const hit = cache().get(path.dirname(file));
    return hit !== undefined && hit.file === file && hit.bytes.equals(bytes) ? hit.stored : undefined;
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
