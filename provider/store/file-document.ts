import { createHash } from "node:crypto";
import { SliceLedger } from "../core/ledger";
import { CorruptLedgerError, decodeLedger, DecodeResult, encodeLedger } from "./ledger-document";

export const FILE_DOCUMENT_API_VERSION = "kubeslice-ipam.io/v1alpha1";
export const FILE_DOCUMENT_KIND = "SliceLedger";
/** Written when a slice is deleted, so that its revision count never restarts. */
export const TOMBSTONE_KIND = "SliceLedgerTombstone";
/** What a single-document ledger of earlier versions becomes once moved to revision files. */
export const MOVED_KIND = "SliceLedgerMoved";

/** One stored revision: a ledger, or the tombstone of a deleted slice. */
export type FileRevision =
    | { readonly deleted: false; readonly revision: number; readonly ledger: SliceLedger; readonly digest: string }
    | { readonly deleted: true; readonly revision: number; readonly digest: string };

/** Identifies exact bytes: a hand edit or a `git checkout` that keeps the revision still changes it. */
export function digestOf(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

export function ledgerDocumentText(revision: number, ledger: SliceLedger): string {
    const document = { apiVersion: FILE_DOCUMENT_API_VERSION, kind: FILE_DOCUMENT_KIND, revision, ...encodeLedger(ledger) };
    return `${JSON.stringify(document, null, 2)}\n`;
}

export function tombstoneText(revision: number, sliceName: string, deletedAt: Date): string {
    const document = { apiVersion: FILE_DOCUMENT_API_VERSION, kind: TOMBSTONE_KIND, revision, sliceName, deletedAt: deletedAt.toISOString() };
    return `${JSON.stringify(document, null, 2)}\n`;
}

export function movedMarkerText(sliceName: string): string {
    const document = {
        apiVersion: FILE_DOCUMENT_API_VERSION,
        kind: MOVED_KIND,
        // Not an integer on purpose: kubeslice-ipam before revision files refuses to write over it.
        revision: "moved",
        movedTo: `${sliceName}/`,
        note: "This slice's ledger now lives in the directory named in movedTo; upgrade kubeslice-ipam everywhere this store is used.",
    };
    return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Refuses a ledger that could not be read back exactly as written (bad
 * inputs that skipped `check`, a caller bug), so nothing invalid reaches disk.
 */
export function problemsBeforeWrite(sliceName: string, ledger: SliceLedger): string[] {
    const readBack = readBackBeforeWrite(sliceName, ledger);
    return readBack.ok ? [] : readBack.problems;
}

/** {@link problemsBeforeWrite}, and when there are none the ledger as reading the document back gives it. */
export function readBackBeforeWrite(sliceName: string, ledger: SliceLedger): DecodeResult {
    let encoded: Record<string, unknown>;
    try {
        encoded = encodeLedger(ledger);
    } catch (error) {
        return { ok: false, problems: [`cannot be encoded: ${(error as Error).message}`] };
    }
    const decoded = decodeLedger(JSON.parse(JSON.stringify(encoded)));
    if (!decoded.ok) {
        return decoded;
    }
    return decoded.ledger.spec.sliceName === sliceName
        ? decoded
        : { ok: false, problems: [`holds slice "${decoded.ledger.spec.sliceName}", not "${sliceName}"`] };
}

/**
 * Decodes one revision file. Everything is checked: envelope, revision
 * matching the file name, ledger invariants, slice name, and no field this
 * version does not know (it would be dropped by the next write, so it is
 * refused instead).
 */
export function decodeRevision(file: string, text: string, sliceName: string, revision: number): FileRevision {
    const raw = parseObject(file, text);
    const problems: string[] = [];
    if (raw.apiVersion !== FILE_DOCUMENT_API_VERSION || (raw.kind !== FILE_DOCUMENT_KIND && raw.kind !== TOMBSTONE_KIND)) {
        problems.push(`apiVersion/kind must be ${FILE_DOCUMENT_API_VERSION}/${FILE_DOCUMENT_KIND}`);
    }
    if (raw.revision !== revision) {
        problems.push(`revision must be ${revision}, the number in its file name; got ${JSON.stringify(raw.revision)}`);
    }
    const digest = digestOf(text);
    if (raw.kind === TOMBSTONE_KIND) {
        if (raw.sliceName !== sliceName) {
            problems.push(`holds slice ${JSON.stringify(raw.sliceName)}, not "${sliceName}"`);
        }
        problems.push(...unknownFields(raw, { apiVersion: 0, kind: 0, revision: 0, sliceName: 0, deletedAt: 0 }, ""));
        if (problems.length > 0) {
            throw new CorruptLedgerError(file, problems);
        }
        return { deleted: true, revision, digest };
    }
    const decoded = decodeLedger(raw);
    if (!decoded.ok) {
        throw new CorruptLedgerError(file, [...problems, ...decoded.problems]);
    }
    const known = { apiVersion: 0, kind: 0, revision: 0, ...encodeLedger(decoded.ledger) };
    problems.push(...unknownFields(raw, known, ""));
    if (decoded.ledger.spec.sliceName !== sliceName) {
        problems.push(`holds slice "${decoded.ledger.spec.sliceName}", not "${sliceName}"`);
    }
    if (problems.length > 0) {
        throw new CorruptLedgerError(file, problems);
    }
    return { deleted: false, revision, ledger: decoded.ledger, digest };
}

/** A document's JSON object, or the reason it is not one. */
function parseObject(file: string, text: string): Record<string, unknown> {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (error) {
        throw new CorruptLedgerError(file, [`not valid JSON: ${(error as Error).message}`]);
    }
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new CorruptLedgerError(file, ["(document): must be a JSON object"]);
    }
    return raw as Record<string, unknown>;
}

/** Fields of `raw` that `known` (the re-encoded document) lacks, as dotted paths. */
function unknownFields(raw: unknown, known: unknown, at: string): string[] {
    if (Array.isArray(raw) && Array.isArray(known)) {
        return raw.flatMap((item, i) => unknownFields(item, known[i], `${at}[${i}]`));
    }
    if (raw === null || typeof raw !== "object" || known === null || typeof known !== "object" || Array.isArray(known)) {
        return [];
    }
    return Object.entries(raw).flatMap(([key, value]) => {
        const where = at === "" ? key : `${at}.${key}`;
        if (!(key in known)) {
            return [`${where}: unknown field; this version of kubeslice-ipam would drop it on the next write, so it refuses the document`];
        }
        return unknownFields(value, (known as Record<string, unknown>)[key], where);
    });
}

/** A single-document ledger (`<slice>.json`) as earlier versions wrote it. */
export function decodeLegacy(file: string, text: string, sliceName: string): { ledger: SliceLedger; revision: number } | "moved" {
    const raw = parseObject(file, text);
    if (raw.kind === MOVED_KIND) {
        return "moved";
    }
    const problems: string[] = [];
    if (raw.apiVersion !== FILE_DOCUMENT_API_VERSION || raw.kind !== FILE_DOCUMENT_KIND) {
        problems.push(`apiVersion/kind must be ${FILE_DOCUMENT_API_VERSION}/${FILE_DOCUMENT_KIND}`);
    }
    if (!Number.isSafeInteger(raw.revision) || (raw.revision as number) < 1) {
        problems.push("revision must be a positive integer");
    }
    const decoded = decodeLedger(raw);
    if (!decoded.ok) {
        problems.push(...decoded.problems);
    } else if (decoded.ledger.spec.sliceName !== sliceName) {
        problems.push(`holds slice "${decoded.ledger.spec.sliceName}", not "${sliceName}"`);
    }
    if (!decoded.ok || problems.length > 0) {
        throw new CorruptLedgerError(file, problems);
    }
    return { ledger: decoded.ledger, revision: raw.revision as number };
}
