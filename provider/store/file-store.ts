import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as lockfile from "proper-lockfile";
import { SliceLedger } from "../core/ledger";
import { isDnsLabel } from "../core/validation";
import { isNotFound, syncDirectory, writeFileAtomically } from "./atomic-file";
import { CorruptLedgerError, decodeLedger, encodeLedger } from "./ledger-document";
import { LedgerStore, SwapResult, VersionedLedger } from "./ledger-store";

export const FILE_DOCUMENT_API_VERSION = "kubeslice-ipam.io/v1alpha1";
export const FILE_DOCUMENT_KIND = "SliceLedger";

export interface FileStoreOptions {
    /**
     * A lock whose holder stopped refreshing it for this long is taken over:
     * that is how a lock left by a killed process is recovered.
     */
    readonly staleLockMs?: number;
}

const DEFAULT_STALE_LOCK_MS = 5_000;

/**
 * Ledgers as one JSON document per slice (`<directory>/<slice>.json`).
 *
 * Reads take no lock: writes replace the document by rename, so a reader
 * sees the old or the new document, never a torn one. A compare-and-swap
 * takes a cross-process lock (proper-lockfile), checks the stored revision,
 * and writes temp file → fsync → rename → fsync directory.
 */
export class FileLedgerStore implements LedgerStore {
    readonly description: string;
    readonly key: string;
    private readonly staleLockMs: number;

    constructor(
        readonly directory: string,
        options: FileStoreOptions = {},
    ) {
        this.directory = path.resolve(directory);
        this.description = `file store ${this.directory}`;
        this.key = `file:${this.directory}`;
        this.staleLockMs = options.staleLockMs ?? DEFAULT_STALE_LOCK_MS;
    }

    /** The document path of a slice. Refuses anything but a DNS-1123 label. */
    fileFor(sliceName: string): string {
        if (!isDnsLabel(sliceName)) {
            throw new Error(`refusing slice name ${JSON.stringify(sliceName)}: not a DNS-1123 label`);
        }
        return path.join(this.directory, `${sliceName}.json`);
    }

    async load(sliceName: string): Promise<VersionedLedger | undefined> {
        return this.readDocument(this.fileFor(sliceName));
    }

    async list(): Promise<VersionedLedger[]> {
        let names: string[];
        try {
            names = await fs.readdir(this.directory);
        } catch (error) {
            if (isNotFound(error)) {
                return [];
            }
            throw error;
        }
        const slices = names
            .filter((name) => name.endsWith(".json") && isDnsLabel(name.slice(0, -".json".length)))
            .sort();
        const ledgers = await Promise.all(slices.map((name) => this.readDocument(path.join(this.directory, name))));
        return ledgers.filter((entry): entry is VersionedLedger => entry !== undefined);
    }

    async compareAndSwap(
        sliceName: string,
        expectedVersion: string | undefined,
        next: SliceLedger | undefined,
    ): Promise<SwapResult> {
        const file = this.fileFor(sliceName);
        await fs.mkdir(this.directory, { recursive: true });
        const unlock = await lockfile.lock(file, {
            realpath: false,
            stale: this.staleLockMs,
            update: Math.max(1_000, Math.floor(this.staleLockMs / 3)),
            retries: { retries: 200, minTimeout: 2, maxTimeout: 100, factor: 1.5, randomize: true },
        });
        try {
            const currentVersion = await this.readRevision(file);
            if (currentVersion !== expectedVersion) {
                return { ok: false, conflict: true };
            }
            if (next === undefined) {
                if (currentVersion !== undefined) {
                    await fs.unlink(file);
                    await syncDirectory(this.directory);
                }
                return { ok: true };
            }
            const revision = currentVersion === undefined ? 1 : Number(currentVersion) + 1;
            const document = {
                apiVersion: FILE_DOCUMENT_API_VERSION,
                kind: FILE_DOCUMENT_KIND,
                revision,
                ...encodeLedger(next),
            };
            await writeFileAtomically(file, `${JSON.stringify(document, null, 2)}\n`);
            return { ok: true, version: String(revision) };
        } finally {
            await unlock();
        }
    }

    /**
     * The stored revision, read under the lock. The caller validated the whole
     * document when it loaded this revision, so only the revision is checked
     * here: equal revisions mean the document it validated. A document that is
     * not JSON is still refused, never overwritten.
     */
    private async readRevision(file: string): Promise<string | undefined> {
        const text = await this.readText(file);
        if (text === undefined) {
            return undefined;
        }
        let revision: unknown;
        try {
            revision = (JSON.parse(text) as { revision?: unknown })?.revision;
        } catch (error) {
            throw new CorruptLedgerError(file, [`not valid JSON: ${(error as Error).message}`]);
        }
        if (!Number.isSafeInteger(revision) || (revision as number) < 1) {
            throw new CorruptLedgerError(file, ["revision must be a positive integer"]);
        }
        return String(revision);
    }

    private async readText(file: string): Promise<string | undefined> {
        try {
            return await fs.readFile(file, "utf8");
        } catch (error) {
            if (isNotFound(error)) {
                return undefined;
            }
            throw new Error(`cannot read slice ledger ${file}: ${(error as Error).message}`);
        }
    }

    private async readDocument(file: string): Promise<VersionedLedger | undefined> {
        const text = await this.readText(file);
        if (text === undefined) {
            return undefined;
        }
        let raw: unknown;
        try {
            raw = JSON.parse(text);
        } catch (error) {
            throw new CorruptLedgerError(file, [`not valid JSON: ${(error as Error).message}`]);
        }
        const envelope = raw as { apiVersion?: unknown; kind?: unknown; revision?: unknown };
        const problems: string[] = [];
        if (envelope?.apiVersion !== FILE_DOCUMENT_API_VERSION || envelope?.kind !== FILE_DOCUMENT_KIND) {
            problems.push(`apiVersion/kind must be ${FILE_DOCUMENT_API_VERSION}/${FILE_DOCUMENT_KIND}`);
        }
        if (!Number.isSafeInteger(envelope?.revision) || (envelope.revision as number) < 1) {
            problems.push("revision must be a positive integer");
        }
        const decoded = decodeLedger(raw);
        if (!decoded.ok) {
            problems.push(...decoded.problems);
        }
        if (!decoded.ok || problems.length > 0) {
            throw new CorruptLedgerError(file, problems);
        }
        const expectedName = path.basename(file, ".json");
        if (decoded.ledger.spec.sliceName !== expectedName) {
            throw new CorruptLedgerError(file, [`holds slice "${decoded.ledger.spec.sliceName}", not "${expectedName}"`]);
        }
        return { ledger: decoded.ledger, version: String(envelope.revision) };
    }
}
