import { LRUCache } from "lru-cache";
import { Allocation, SliceLedger } from "../core/ledger";
import { StorageUsage, VersionedLedger } from "./ledger-store";
import { processWide } from "./process-wide";
import { ShardRef } from "./sliceipam-shard";
import { SliceIpamObject } from "./sliceipam-object";

/** A head as read, with what a compare-and-swap from it needs. */
export interface Head {
    readonly object: SliceIpamObject;
    readonly version: string;
    readonly fingerprint: string;
    readonly ledger: SliceLedger;
    /** By shard number; undefined for a legacy (single-object) head. */
    readonly shards: ReadonlyMap<number, { readonly ref: ShardRef; readonly entries: readonly Allocation[] }> | undefined;
    readonly storage: StorageUsage;
}

export function versioned(head: Head): VersionedLedger {
    return { ledger: head.ledger, version: head.version, storage: head.storage };
}

/** How old a head seen by this process may be and still answer a plan (a preview, a `check`). */
export const PLAN_VIEW_MS = 1_000;

/** Slices whose head the view keeps, process-wide. */
export const VIEW_ENTRIES = 256;

interface Seen {
    /** undefined: the server said the slice does not exist (a NotFound naming it). */
    readonly head: Head | undefined;
    readonly at: number;
}

const headView = () => processWide("kubeslice-ipam.kubernetes-head-view", () => new LRUCache<string, Seen>({ max: VIEW_ENTRIES }));

/**
 * The head each slice had when this process last read or wrote it, and when
 * (process-wide, at most VIEW_ENTRIES slices). Used where a stale answer is
 * harmless and nowhere else:
 * - Plans (`loadToPlan`: a preview's plan of the component, `check` of a
 *   requested subnet) use it while it is at most PLAN_VIEW_MS (1 s) old,
 *   else read the head. So a plan may miss another process's change of the
 *   last second: a planned subnet taken meanwhile makes create fall back to
 *   first-fit (and warn), a pin taken meanwhile is refused by create, a pin
 *   freed within that second is refused by check until the next run. This
 *   process's own commits update the view, so its own plans never lag them.
 * - Writes (`loadToWrite`) use it, of any age, only as the basis of the
 *   compare-and-swap: a stale basis is a lost race (409, counted in
 *   `conflicts`) and the change is made again over a fresh read. A change
 *   that would write nothing from the view (an allocation the view says
 *   exists, a release of an entry it says is released) is applied again to
 *   a fresh read before anyone is answered: nothing is ever acknowledged
 *   from the view without a commit.
 * - Reads (`load`: refresh, the CLI, `list`) always read the server. A
 *   slice is remembered absent only after a NotFound naming it.
 */
export class HeadView {
    constructor(private readonly storeKey: string) {}

    seen(sliceName: string): Seen | undefined {
        return headView().get(this.keyOf(sliceName));
    }

    /** The head seen at most PLAN_VIEW_MS ago; undefined when none was. */
    recent(sliceName: string): Seen | undefined {
        const seen = this.seen(sliceName);
        return seen !== undefined && Date.now() - seen.at <= PLAN_VIEW_MS ? seen : undefined;
    }

    remember(sliceName: string, head: Head | undefined): void {
        headView().set(this.keyOf(sliceName), { head, at: Date.now() });
    }

    /** Names the slice in this store location, for other process-wide state kept per slice. */
    keyOf(sliceName: string): string {
        return `${this.storeKey}\u0000${sliceName}`;
    }
}
