import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import type { HistoryEvent } from "../core/history";
import { SliceLedger } from "../core/ledger";
import { sliceNameIssue } from "../core/validation";

/** A ledger as read from a store, with the version a later write must name. */
export interface VersionedLedger {
    readonly ledger: SliceLedger;
    /** Opaque; only ever compared for equality by the store that issued it. */
    readonly version: string;
    /** How close the stored form is to a size limit of the store, where it has one. */
    readonly storage?: StorageUsage;
}

/** Bytes a ledger uses of the one budget its store caps (e.g. a Kubernetes object's annotations). */
export interface StorageUsage {
    readonly usedBytes: number;
    readonly limitBytes: number;
    /** What the limit is, for messages: e.g. `SliceIpam annotations (256 KiB)`. */
    readonly limit: string;
}

/** The outcome of a compare-and-swap. A conflict is expected, not an error. */
export type SwapResult = { readonly ok: true } | { readonly ok: false; readonly conflict: true };

/**
 * Where slice ledgers live between provider calls. One small interface with
 * compare-and-swap semantics, so the file store and the Kubernetes store are
 * interchangeable and every read-modify-write is safe against other writers.
 *
 * Every method throws only for real failures (unreadable or corrupt data, an
 * unreachable server); a lost race is a `{ ok: false, conflict: true }` value.
 */
export interface LedgerStore {
    /** Names the store in messages, e.g. `file store /repo/.slice-ipam`. */
    readonly description: string;
    /** Identifies the backing location; equal keys mean the same ledgers. */
    readonly key: string;
    /**
     * Who writes, where a store has credentials (a digest, never the
     * credentials): one process's changes of one slice are committed together
     * only between stores with the same key and writer.
     */
    readonly writer?: string;

    /** The slice's ledger, or undefined when the slice is not registered. */
    load(sliceName: string): Promise<VersionedLedger | undefined>;

    /** Every registered slice's ledger; throws for the first that cannot be read. */
    list(): Promise<VersionedLedger[]>;

    /**
     * Every registered slice, each read on its own, in name order: one
     * unreadable (corrupt, hand-edited) slice is reported by name and does
     * not hide the others. Throws only when the store itself cannot be listed.
     */
    listEach(): Promise<ListedSlice[]>;

    /**
     * Writes `next` (or deletes the ledger when `next` is undefined) only if
     * the stored version is still `expectedVersion` (`undefined`: only if no
     * ledger exists). Either the whole write happens or none of it does.
     */
    compareAndSwap(sliceName: string, expectedVersion: string | undefined, next: SliceLedger | undefined): Promise<SwapResult>;

    /**
     * For planning only (previews, `check` of a requested subnet): the
     * ledger, possibly as this process saw it a moment ago instead of read
     * again. Never the basis of a decision that is acknowledged; where a store
     * has it, its header says how stale the answer may be.
     */
    loadToPlan?(sliceName: string): Promise<VersionedLedger | undefined>;

    /**
     * The basis of a write: the ledger as this process last read or wrote it,
     * of any age, or undefined when it has none (then {@link load}). Only for
     * a compare-and-swap, which refuses it when it is stale; a change that
     * would write nothing from it is applied again to a fresh {@link load}.
     */
    loadToWrite?(sliceName: string): Promise<VersionedLedger | undefined>;

    /**
     * Called once the changes of a burst on a slice are all settled (no more
     * queued in this process): work a store deferred from commits within the
     * burst, such as a derived projection. Its errors are ignored.
     */
    afterBurst?(sliceName: string): Promise<void>;

    /**
     * Called after a commit with the history events it wrote, once its callers
     * have their results: where a store can also publish them elsewhere (the
     * Kubernetes store's Events), best effort. Its errors are ignored.
     */
    publishEvents?(sliceName: string, events: readonly HistoryEvent[]): Promise<void>;

    /**
     * Creates the backing location if it does not exist yet. Only registering
     * a slice calls it: every other operation on a missing location fails with
     * {@link StoreNotFoundError}, so a wrong path never reads as an empty store.
     */
    initialize?(): Promise<void>;

    /**
     * Runs one read-modify-write of a slice while cooperating writers on this
     * machine wait their turn, so they rarely conflict. Advisory only:
     * correctness comes from `compareAndSwap` alone.
     */
    exclusively?<T>(sliceName: string, body: () => Promise<T>): Promise<T>;
}

/** One slice of a listing: its ledger, or why it cannot be read. */
export type ListedSlice =
    | { readonly sliceName: string; readonly ok: true; readonly entry: VersionedLedger }
    | { readonly sliceName: string; readonly ok: false; readonly error: Error };

/** The ledgers of a listing; the first unreadable slice's error when there is one. */
export function everyLedger(listed: readonly ListedSlice[]): VersionedLedger[] {
    return listed.map((slice) => {
        if (!slice.ok) {
            throw slice.error;
        }
        return slice.entry;
    });
}

/** Reads each slice with `read`, keeping each failure with its slice's name. */
export async function readEach(
    sliceNames: readonly string[],
    read: (sliceName: string) => Promise<VersionedLedger | undefined>,
): Promise<ListedSlice[]> {
    const listed = await Promise.all(
        [...sliceNames].sort().map(async (sliceName): Promise<ListedSlice | undefined> => {
            try {
                const entry = await read(sliceName);
                return entry === undefined ? undefined : { sliceName, ok: true, entry };
            } catch (error) {
                return { sliceName, ok: false, error: error instanceof Error ? error : new Error(String(error)) };
            }
        }),
    );
    return listed.filter((slice): slice is ListedSlice => slice !== undefined);
}

/** `sliceName`, once it is known to be safe as a file or object name; throws otherwise. */
export function storableSliceName(sliceName: string): string {
    const issue = sliceNameIssue(sliceName);
    if (issue !== undefined) {
        throw new KubesliceIpamError(issue.code, issue.message);
    }
    return sliceName;
}

/** The store's backing location does not exist: never read as an empty store. */
export class StoreNotFoundError extends KubesliceIpamError {
    constructor(
        readonly location: string,
        hint: string,
    ) {
        super("store-not-found", `${location} does not exist; ${hint}`);
        this.name = "StoreNotFoundError";
    }
}
