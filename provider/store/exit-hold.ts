import { processWide } from "./process-wide";

/**
 * The Pulumi engine stops a provider process with SIGINT, then SIGKILL five
 * seconds later; Node's default for SIGINT and SIGTERM is to die at once. A
 * store finishes some work after its callers have their results (the
 * Kubernetes store's status projection, Events): without this, the last
 * burst of a deployment could lose it, and `kubectl get sliceipam` would show
 * the status of the burst before. From a process's first such work on, a
 * SIGINT or SIGTERM waits for the work running then (at most HOLD_LIMIT_MS)
 * and is raised again, so the process ends as the signal would have ended
 * it, and the process's other handlers (a host application's,
 * proper-lockfile's cleanup) get it again, later. The handlers stay
 * installed: a signal the kernel has already caught is dispatched to them a
 * moment later, and one removed when the work ended would swallow it.
 */
export const HOLD_LIMIT_MS = 4_000;

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

interface Holds {
    readonly running: Set<Promise<unknown>>;
    /** Ends of the delays running now (delayUnlessHurried). */
    readonly delays: Set<() => void>;
    installed: boolean;
}

const holds = () => processWide("kubeslice-ipam.exit-holds", (): Holds => ({ running: new Set(), delays: new Set(), installed: false }));

/**
 * Waits `ms`, or less: until the process is asked to end (a held SIGINT or
 * SIGTERM) or someone awaits settledStoreWork. For work that waits only to
 * share one write with later changes (the status projection): once nothing
 * more can come, waiting on would only delay the end of the process — and
 * the engine waits for its provider processes to end before `up` does.
 */
export function delayUnlessHurried(ms: number): Promise<void> {
    const state = holds();
    return new Promise((resolve) => {
        const end = () => {
            clearTimeout(timer);
            state.delays.delete(end);
            resolve();
        };
        const timer = setTimeout(end, ms);
        state.delays.add(end);
    });
}

function hurry(): void {
    for (const end of [...holds().delays]) {
        end();
    }
}

/** Lets `work` finish before a SIGINT or SIGTERM ends the process. `work` must not reject. */
export function holdExitUntil(work: Promise<unknown>): void {
    const state = holds();
    state.running.add(work);
    void work.finally(() => state.running.delete(work));
    if (!state.installed) {
        state.installed = true;
        for (const signal of SIGNALS) {
            process.once(signal, onSignal);
        }
    }
}

function onSignal(signal: NodeJS.Signals): void {
    const state = holds();
    for (const other of SIGNALS) {
        process.off(other, onSignal);
    }
    hurry();
    const limit = new Promise((resolve) => setTimeout(resolve, HOLD_LIMIT_MS).unref());
    void Promise.race([Promise.allSettled([...state.running]), limit]).then(() => process.kill(process.pid, signal));
}

/**
 * Resolves once the work stores do after their callers have their results
 * (the Kubernetes store's status projection and deletion of replaced shards,
 * Events) is done, including work started meanwhile; delayed work starts now. A program that ends
 * itself with `process.exit()` right after its last change awaits this
 * first, or leaves the projection one burst behind and the replaced shards to
 * the sweep.
 */
export async function settledStoreWork(): Promise<void> {
    const state = holds();
    while (state.running.size > 0) {
        hurry();
        await Promise.allSettled([...state.running]);
    }
}
