import { countIn } from "../core/counters";
import { HistoryActor, HistoryEvent, recordedChange, removalEventOf } from "../core/history";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { SliceLedger } from "../core/ledger";
import { backOff, Backoff, RetryLimit, retryBudget } from "./backoff";
import { holdExitUntil } from "./exit-hold";
import { historyActor, historyBounds } from "./history-context";
import { LedgerStore } from "./ledger-store";
import { processWide } from "./process-wide";

/**
 * A pure change to one slice's ledger: the next ledger (the same object when
 * nothing changes; undefined deletes it) and a result for the caller. A change
 * may throw to refuse; only its own caller sees that error. Its history events
 * are derived from the ledger before and after it, dated `at` (now when
 * absent) and carrying `note`.
 */
export type LedgerChange<R> = (current: SliceLedger | undefined) => {
    ledger: SliceLedger | undefined;
    result: R;
    at?: Date;
    note?: string;
};

/** When to stop retrying lost compare-and-swaps, and how long to wait between them. */
export type RetryPolicy = RetryLimit & Backoff;

/**
 * Bounded by time, not by count: every lost race means another writer made
 * progress, and several pipelines applying to one slice at once (each a
 * provider process with many calls in flight) can make a writer lose many
 * races in a row on a busy machine, where a fixed count of 16 gave up on 2-4 %
 * of writes. Two minutes is far beyond any wave measured (docs/stores.md).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { timeLimitMs: 120_000, baseDelayMs: 5, maxDelayMs: 1_000 };

/** Raised when other writers kept winning every compare-and-swap. Nothing was written. */
export class LedgerConflictError extends KubesliceIpamError {
    constructor(
        readonly sliceName: string,
        readonly storeDescription: string,
        readonly attempts: number,
        readonly elapsedMs: number,
    ) {
        super(
            "ledger-conflict",
            `slice "${sliceName}": gave up after ${attempts} attempts in ${(elapsedMs / 1000).toFixed(1)} s because other ` +
                `writers kept changing its ledger in ${storeDescription}. Nothing was written by this operation; run it again.`,
        );
        this.name = "LedgerConflictError";
    }
}

interface PendingChange {
    /** The caller's own store: its batch is committed through the first caller's. */
    readonly store: LedgerStore;
    readonly change: LedgerChange<unknown>;
    /** Taken when the change was asked for, in its caller's scope: a batch may hold several callers' changes. */
    readonly actor: HistoryActor;
    readonly resolve: (result: unknown) => void;
    readonly reject: (error: unknown) => void;
}

interface CommitQueue {
    pending: PendingChange[];
    running: boolean;
}

// Pulumi runs one provider process for all resources of a kind and calls it
// concurrently. Queues are process-wide, found through a global symbol at call
// time, so that provider objects capture nothing and every call in the process
// shares one queue per (store, slice).
const queues = () => processWide("kubeslice-ipam.commit-queues", () => new Map<string, CommitQueue>());

function queueFor(key: string): CommitQueue {
    let queue = queues().get(key);
    if (queue === undefined) {
        queue = { pending: [], running: false };
        queues().set(key, queue);
    }
    return queue;
}

/**
 * Whether a commit of this store and slice is being made by a drain, which
 * calls the store's afterBurst once its callers are settled: a store may
 * leave work that no caller needs to wait for (the Kubernetes store's status
 * projection) to it.
 */
export function committingInDrain(store: Pick<LedgerStore, "key" | "writer">, sliceName: string): boolean {
    return queues().get(queueKey(store, sliceName))?.running === true;
}

/**
 * One queue per location, writer and slice: changes of stores with other
 * credentials (a reader's and a writer's in one process) never ride on each
 * other's commits.
 */
function queueKey(store: Pick<LedgerStore, "key" | "writer">, sliceName: string): string {
    return `${store.key}\u0000${store.writer ?? ""}\u0000${sliceName}`;
}

/**
 * Applies `change` to a slice's ledger: read → change → compare-and-swap,
 * retried with exponential backoff and full jitter on conflict, bounded.
 *
 * Concurrent calls for one slice in one process are committed together (group
 * commit): the changes queued while a write is in flight are applied in
 * arrival order to one ledger and written once. Each caller still gets its own
 * result or error. Retries that a conflict forced are added to the ledger's
 * `counters.conflicts`.
 */
export function updateLedger<R>(
    store: LedgerStore,
    sliceName: string,
    change: LedgerChange<R>,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<R> {
    const queue = queueFor(queueKey(store, sliceName));
    return new Promise<R>((resolve, reject) => {
        queue.pending.push({ store, change, actor: historyActor(), resolve: resolve as (result: unknown) => void, reject });
        if (!queue.running) {
            queue.running = true;
            // What a drain still does after its callers have their results (afterBurst, Events) is finished
            // before the process stops on SIGINT or SIGTERM, as the engine stops a provider.
            holdExitUntil(drain(queue, sliceName, policy));
        }
    });
}

async function drain(queue: CommitQueue, sliceName: string, policy: RetryPolicy): Promise<void> {
    try {
        while (queue.pending.length > 0) {
            let store: LedgerStore | undefined;
            while (queue.pending.length > 0) {
                const batch = queue.pending.splice(0);
                // The batch's own first caller's store, not the one that started this drain: a drain outlives its callers.
                store = batch[0].store;
                await commitBatch(batch, store, sliceName, policy);
            }
            // Callers are settled; what the store deferred within the burst is done now (changes arriving meanwhile wait).
            await store?.afterBurst?.(sliceName).catch(() => undefined);
        }
    } finally {
        queue.running = false;
    }
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

async function commitBatch(batch: PendingChange[], store: LedgerStore, sliceName: string, policy: RetryPolicy) {
    let conflicts = 0;
    const budget = retryBudget(policy);
    try {
        for (let attempt = 1; ; attempt++) {
            const tryOnce = async (): Promise<boolean> => {
                // The store's last known ledger may be stale: it is only ever a basis for the
                // compare-and-swap, which refuses it if so. Nothing is settled without a write
                // from it: a change that writes nothing is applied again to a fresh read.
                const viewed = attempt === 1 && store.loadToWrite !== undefined ? await store.loadToWrite(sliceName) : undefined;
                let loaded = viewed ?? (await store.load(sliceName));
                let { ledger, outcomes, events } = applyAll(batch, loaded?.ledger);
                if (viewed !== undefined && ledger === loaded?.ledger) {
                    loaded = await store.load(sliceName);
                    ({ ledger, outcomes, events } = applyAll(batch, loaded?.ledger));
                }
                // A no-op still writes after lost races, or those races would go uncounted
                // (a usage sync whose clusters another writer changed meanwhile ends this way).
                if (ledger === loaded?.ledger && (conflicts === 0 || ledger === undefined)) {
                    settle(batch, outcomes);
                    return true;
                }
                const next = ledger === undefined || conflicts === 0 ? ledger : countIn(ledger, { conflicts });
                const swapped = await store.compareAndSwap(sliceName, loaded?.version, next);
                if (swapped.ok) {
                    settle(batch, outcomes);
                    if (events.length > 0) {
                        // After the callers have their results: publishing never delays or fails an acknowledged change.
                        await store.publishEvents?.(sliceName, events).catch(() => undefined);
                    }
                }
                return swapped.ok;
            };
            // Read and write inside the store's advisory lock where it has one, so writers queue instead of conflicting.
            if (await (store.exclusively === undefined ? tryOnce() : store.exclusively(sliceName, tryOnce))) {
                return;
            }
            conflicts++;
            if (!budget.mayRetry(attempt)) {
                const error = new LedgerConflictError(sliceName, store.description, attempt, budget.elapsedMs());
                batch.forEach((pending) => pending.reject(error));
                return;
            }
            await backOff(attempt, policy);
        }
    } catch (error) {
        // A store failure (unreadable, corrupt, unreachable) fails the whole batch: nothing was written.
        batch.forEach((pending) => pending.reject(error));
    }
}

function applyAll(batch: PendingChange[], initial: SliceLedger | undefined) {
    let ledger = initial;
    const outcomes: Outcome[] = [];
    const bounds = historyBounds();
    const events: HistoryEvent[] = [];
    for (const pending of batch) {
        try {
            const applied = pending.change(ledger);
            // Each change's events against the ledger it was applied to: exact within a batch, and recomputed on every retry.
            if (applied.ledger === undefined && ledger !== undefined) {
                events.push(removalEventOf(ledger, { at: applied.at ?? new Date(), actor: pending.actor }));
                ledger = undefined;
            } else if (applied.ledger === undefined || applied.ledger === ledger) {
                ledger = applied.ledger;
            } else {
                const recorded = recordedChange(
                    ledger,
                    applied.ledger,
                    { at: applied.at ?? new Date(), actor: pending.actor, note: applied.note },
                    bounds,
                );
                ledger = recorded.ledger;
                events.push(...recorded.events);
            }
            outcomes.push({ ok: true, result: applied.result });
        } catch (error) {
            outcomes.push({ ok: false, error });
        }
    }
    return { ledger, outcomes, events };
}

function settle(batch: PendingChange[], outcomes: Outcome[]) {
    batch.forEach((pending, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) {
            pending.resolve(outcome.result);
        } else {
            pending.reject(outcome.error);
        }
    });
}
