import { lstatSync, promises as fs, statSync } from "node:fs";
import * as path from "node:path";
import { setImmediate } from "node:timers/promises";
import * as lockfile from "proper-lockfile";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { SliceLedger } from "../core/ledger";
import { isDnsLabel } from "../core/validation";
import { isNotFound, writeFileAtomically } from "../fs/atomic-file";
import { decodeLegacy, digestOf, FileRevision, ledgerDocumentText, movedMarkerText, readBackBeforeWrite, tombstoneText } from "./file-document";
import { decodeRevisionOnce, digestOnce, rememberRevision } from "./decoded-revisions";
import { lockAdvisory } from "./advisory-lock";
import { writeFailure } from "./file-store-errors";
import {
    highestRevision,
    LAST_REVISION,
    publishRevision,
    pruneRevisions,
    readBytes,
    readText,
    revisionFileName,
    revisionsExhausted,
} from "./file-revisions";
import { CorruptLedgerError } from "./ledger-document";
import { everyLedger, LedgerStore, ListedSlice, readEach, storableSliceName, StoreNotFoundError, SwapResult, VersionedLedger } from "./ledger-store";

export { FILE_DOCUMENT_API_VERSION, FILE_DOCUMENT_KIND } from "./file-document";

export interface FileStoreOptions {
    /** A lock whose holder stopped refreshing it for this long is taken over (a killed or frozen process). */
    readonly staleLockMs?: number;
    /** How long a writer waits for the advisory lock before going ahead without it. */
    readonly lockWaitMs?: number;
    /** Lets tests pause a writer at the two points where a race matters. */
    readonly hooks?: FileStoreHooks;
}

export interface FileStoreHooks {
    /** In a compare-and-swap, before the stored version is read and compared. */
    readonly beforeCompare?: (sliceName: string) => Promise<void>;
    /** After the versions compared equal, before the next revision is linked. */
    readonly beforePublish?: (sliceName: string) => Promise<void>;
}

const DEFAULT_STALE_LOCK_MS = 5_000;
const DEFAULT_LOCK_WAIT_MS = 10_000;

const CONFLICT: SwapResult = { ok: false, conflict: true };

/** What a read found as a slice's current state. */
type Current =
    | { readonly kind: "absent" }
    | { readonly kind: "revision"; readonly stored: FileRevision; readonly file: string }
    /** Exactly the bytes of a version the caller loaded, and so validated: not decoded again. */
    | { readonly kind: "unchanged"; readonly revision: number; readonly version: string; readonly file: string }
    | { readonly kind: "legacy"; readonly ledger: SliceLedger; readonly revision: number; readonly digest: string; readonly file: string };

/**
 * Ledgers as revision files, one directory per slice:
 * `<directory>/<slice>/<revision, 12 digits>.json`; the highest revision is
 * the ledger.
 *
 * Why not one document replaced by rename (as before 0.2): a rename replaces
 * whatever is there. A writer paused while holding a lock (GC pause, suspended
 * laptop, frozen CI runner) has its lock taken over once stale, and on
 * resuming would rename a document computed from an old ledger over a newer
 * one; proper-lockfile's `onCompromised` fires only at the next refresh, after
 * such a rename. Kernel locks (flock) would stay with a paused holder, but
 * Node.js reaches them only through native addons, which npm no longer builds
 * by default. So the publish itself is the compare-and-swap: the next revision
 * is written to a temporary file and hard-linked to its name, and link(2)
 * fails when the name exists, atomically (local file systems and NFS alike).
 * Of all writers that read revision N, exactly one creates N+1, however late.
 *
 * Revisions never repeat: deleting a slice writes a tombstone revision, and
 * registering it again continues the count. After a write, revisions older
 * than the previous one are removed; a late writer can then create a freed,
 * lower name, so a writer reports success only when its revision is the
 * highest once linked (otherwise: a conflict, and the caller retries on the
 * current ledger). A version is the revision and a digest of its bytes, so an
 * edit in place (by hand, `git checkout`) is never written over unseen.
 *
 * The lock (proper-lockfile, one per slice) only queues writers on one machine
 * so that they rarely conflict; correctness never depends on it, and a writer
 * that cannot get it in `lockWaitMs` (a frozen holder), or meets any error of
 * the lock library, goes ahead without it (advisory-lock.ts).
 *
 * Every document is checked where it is read (envelope, invariants, name,
 * unknown fields are refused, not dropped) and every ledger before it is
 * written. Symbolic links are refused. A missing store directory is an error,
 * except for the first registration, which creates it.
 */
export class FileLedgerStore implements LedgerStore {
    readonly description: string;
    readonly key: string;
    private readonly staleLockMs: number;
    private readonly lockWaitMs: number;
    private readonly hooks: FileStoreHooks;

    constructor(
        readonly directory: string,
        options: FileStoreOptions = {},
    ) {
        this.directory = path.resolve(directory);
        this.description = `file store ${this.directory}`;
        this.key = `file:${this.directory}`;
        this.staleLockMs = options.staleLockMs ?? DEFAULT_STALE_LOCK_MS;
        this.lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
        this.hooks = options.hooks ?? {};
    }

    /** The directory of a slice's revisions. Refuses anything but a DNS-1123 label. */
    sliceDirectory(sliceName: string): string {
        return path.join(this.directory, storableSliceName(sliceName));
    }

    /** The file holding a slice's current ledger, or undefined when it has none. */
    async currentFile(sliceName: string): Promise<string | undefined> {
        const current = await this.readCurrent(sliceName);
        return current.kind === "absent" ? undefined : current.file;
    }

    async initialize(): Promise<void> {
        try {
            await fs.mkdir(this.directory, { recursive: true });
        } catch (error) {
            throw writeFailure(this.description, "(store)", this.directory, error);
        }
    }

    async load(sliceName: string): Promise<VersionedLedger | undefined> {
        await this.requireStore();
        return this.versioned(await this.readCurrent(sliceName));
    }

    async list(): Promise<VersionedLedger[]> {
        return everyLedger(await this.listEach());
    }

    async listEach(): Promise<ListedSlice[]> {
        await this.requireStore();
        const names = new Set<string>();
        for (const entry of await fs.readdir(this.directory)) {
            const name = entry.endsWith(".json") ? entry.slice(0, -".json".length) : entry;
            if (isDnsLabel(name)) {
                names.add(name);
            }
        }
        return readEach([...names], async (name) => this.versioned(await this.readCurrent(name)));
    }

    async exclusively<T>(sliceName: string, body: () => Promise<T>): Promise<T> {
        await this.requireStore();
        const release = await lockAdvisory(this.sliceDirectory(sliceName), { staleMs: this.staleLockMs, waitMs: this.lockWaitMs });
        try {
            return await body();
        } finally {
            await release();
        }
    }

    async compareAndSwap(sliceName: string, expectedVersion: string | undefined, next: SliceLedger | undefined): Promise<SwapResult> {
        const directory = this.sliceDirectory(sliceName);
        const readBack = next === undefined ? undefined : readBackBeforeWrite(sliceName, next);
        if (readBack !== undefined && !readBack.ok) {
            throw new KubesliceIpamError(
                "ledger-write-refused",
                `slice "${sliceName}": refusing to write an invalid ledger to ${this.description}; nothing was written:\n` +
                    readBack.problems.map((problem) => `  - ${problem}`).join("\n"),
            );
        }
        if (expectedVersion === undefined && next !== undefined) {
            await this.initialize();
        } else {
            await this.requireStore();
        }
        await this.hooks.beforeCompare?.(sliceName);
        const current = await this.readCurrent(sliceName, expectedVersion);
        if (this.versioned(current)?.version !== expectedVersion) {
            return CONFLICT;
        }
        if (next === undefined && (current.kind === "absent" || (current.kind === "revision" && current.stored.deleted))) {
            return { ok: true };
        }
        const revision = current.kind === "absent" ? 1 : (current.kind === "revision" ? current.stored.revision : current.revision) + 1;
        if (revision > LAST_REVISION) {
            throw revisionsExhausted(current.kind === "absent" ? directory : current.file);
        }
        const text = next === undefined ? tombstoneText(revision, sliceName, new Date()) : ledgerDocumentText(revision, next);
        await this.hooks.beforePublish?.(sliceName);
        if (current.kind === "legacy") {
            return this.migrate(sliceName, current, revision, text);
        }
        if (!(await publishRevision(this.description, sliceName, directory, revision, text))) {
            return CONFLICT;
        }
        if ((await highestRevision(directory)) !== revision) {
            // Either a late writer whose name had been freed by pruning (its file is ignored: the
            // ledger is the higher revision), or, rarely, a writer frozen right after its link on
            // whose revision others already built. Success cannot be told apart from the first, so
            // both report a conflict: the caller re-applies its change to the current ledger, where
            // every change of the service layer is idempotent (an allocation found is reused).
            return CONFLICT;
        }
        await pruneRevisions(directory, revision);
        if (readBack !== undefined) {
            // The next load reads these bytes: let it find them decoded.
            rememberRevision(path.join(directory, revisionFileName(revision)), Buffer.from(text, "utf8"), {
                deleted: false,
                revision,
                ledger: readBack.ledger,
                digest: digestOf(text),
            });
        }
        return { ok: true };
    }

    /**
     * Moves a single-document ledger of an earlier version to revision files.
     * Under that version's own lock, so its writers are serialized with this
     * move, and the old document becomes a marker they refuse to write over.
     */
    private async migrate(sliceName: string, current: Extract<Current, { kind: "legacy" }>, revision: number, text: string): Promise<SwapResult> {
        let release: () => Promise<void>;
        try {
            release = await lockfile.lock(current.file, {
                realpath: false,
                stale: this.staleLockMs,
                retries: { retries: 100, minTimeout: 5, maxTimeout: 200 },
                onCompromised: () => undefined,
            });
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "ELOCKED" || code === "ENOENT") {
                return CONFLICT; // held, or its lock removed by a writer taking it over meanwhile: read again
            }
            throw writeFailure(this.description, sliceName, current.file, error);
        }
        try {
            const again = await readText(current.file);
            if (again === undefined || digestOf(again) !== current.digest) {
                return CONFLICT;
            }
            const directory = this.sliceDirectory(sliceName);
            if (!(await publishRevision(this.description, sliceName, directory, revision, text)) || (await highestRevision(directory)) !== revision) {
                return CONFLICT;
            }
            try {
                await writeFileAtomically(current.file, movedMarkerText(sliceName));
            } catch (error) {
                throw writeFailure(this.description, sliceName, current.file, error);
            }
            return { ok: true };
        } finally {
            await release().catch(() => undefined);
        }
    }

    private versioned(current: Exclude<Current, { kind: "unchanged" }>): VersionedLedger | undefined;
    private versioned(current: Current): { version: string; ledger?: SliceLedger } | undefined;
    private versioned(current: Current): { version: string; ledger?: SliceLedger } | undefined {
        if (current.kind === "unchanged") {
            return { version: current.version };
        }
        if (current.kind === "legacy") {
            return { ledger: current.ledger, version: `legacy:${current.digest}` };
        }
        if (current.kind === "revision" && !current.stored.deleted) {
            return { ledger: current.stored.ledger, version: versionOf(current.stored.revision, current.stored.digest) };
        }
        return undefined;
    }

    private async readCurrent(sliceName: string): Promise<Exclude<Current, { kind: "unchanged" }>>;
    private async readCurrent(sliceName: string, trustedVersion: string | undefined): Promise<Current>;
    private async readCurrent(sliceName: string, trustedVersion?: string): Promise<Current> {
        // The reads below are synchronous (see readBytes, file-revisions.ts): give the event loop its turn
        // first, so that a caller polling the store cannot starve timers and other I/O.
        await setImmediate();
        const directory = this.sliceDirectory(sliceName);
        // A revision may be pruned between listing and reading it: list again.
        for (let attempt = 0; ; attempt++) {
            const revision = await highestRevision(directory);
            if (revision === undefined) {
                return this.readLegacy(sliceName);
            }
            const file = path.join(directory, revisionFileName(revision));
            const bytes = readBytes(file);
            if (bytes !== undefined) {
                const version = versionOf(revision, digestOnce(file, bytes));
                if (version === trustedVersion) {
                    return { kind: "unchanged", revision, version, file };
                }
                return { kind: "revision", stored: decodeRevisionOnce(file, bytes, sliceName, revision), file };
            }
            if (attempt >= 20) {
                throw new KubesliceIpamError(
                    "ledger-changed-while-read",
                    `${file} keeps disappearing while it is read; another process is removing revisions of slice "${sliceName}"`,
                );
            }
        }
    }

    private async readLegacy(sliceName: string): Promise<Current> {
        const file = path.join(this.directory, `${sliceName}.json`);
        const text = await readText(file);
        if (text === undefined) {
            return { kind: "absent" };
        }
        const legacy = decodeLegacy(file, text, sliceName);
        if (legacy === "moved") {
            throw new CorruptLedgerError(file, [`says the ledger moved to ${sliceName}/, but that directory holds no revision`]);
        }
        return { kind: "legacy", ...legacy, digest: digestOf(text), file };
    }

    private async requireStore(): Promise<void> {
        let stat;
        try {
            stat = lstatSync(this.directory); // synchronous for the reason given at readBytes (file-revisions.ts)
        } catch (error) {
            if (isNotFound(error)) {
                throw new StoreNotFoundError(
                    this.description,
                    "a missing store is never read as an empty one. If the ledgers live elsewhere (another working " +
                        "directory, an unmounted volume, a checkout in another place), point store.directory there; the " +
                        "directory is created only when a slice is first registered",
                );
            }
            throw error;
        }
        if (!stat.isDirectory() && !statSync(this.directory).isDirectory()) {
            throw new KubesliceIpamError(
                "store-not-found",
                `${this.description}: ${this.directory} is not a directory; point store.directory at a directory`,
            );
        }
    }
}

function versionOf(revision: number, digest: string): string {
    return `${revision}:${digest}`;
}
