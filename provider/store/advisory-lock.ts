import * as lockfile from "proper-lockfile";
import { backOff, Backoff, retryBudget } from "./backoff";

export interface AdvisoryLockOptions {
    /** A lock whose holder stopped refreshing it for this long is taken over. */
    readonly staleMs: number;
    /** How long to wait for a held lock before going ahead without it. */
    readonly waitMs: number;
}

/** Releases the lock, if it was taken; never throws. */
export type ReleaseLock = () => Promise<void>;

const WITHOUT_LOCK: ReleaseLock = async () => undefined;

/** Polling a held lock: soon at first (holders keep it for one write), at most every 200 ms. */
const LOCK_POLL: Backoff = { baseDelayMs: 4, maxDelayMs: 200 };

/**
 * Waits for the advisory lock of `target` (`<target>.lock`), at most
 * `waitMs`, and never fails: the lock only queues writers so that they rarely
 * conflict, and every write is guarded by compare-and-swap. So a frozen
 * holder, a lock dated in the future, and every error of the lock library
 * (acquiring, its lock vanishing, releasing) all mean "go ahead without it".
 *
 * The error that made this rule: proper-lockfile creates the lock directory,
 * then stats it. Two writers that both judged an old lock stale each remove
 * it; the second removal can take the first writer's fresh lock between its
 * mkdir and its stat (so can a writer that took over the lock of one paused
 * there, and released it), and that stat fails with ENOENT. Failing the
 * operation for it turned a harmless race into a failed `pulumi up`. A real
 * problem of the store (read-only, full, no permission) still fails, at the
 * write itself, naming the file.
 */
export async function lockAdvisory(target: string, options: AdvisoryLockOptions): Promise<ReleaseLock> {
    const budget = retryBudget({ timeLimitMs: options.waitMs });
    for (let attempt = 1; ; attempt++) {
        try {
            const release = await lockfile.lock(target, {
                realpath: false,
                stale: options.staleMs,
                update: Math.max(1_000, Math.floor(options.staleMs / 3)),
                // A lost lock is harmless: compare-and-swap guards every write. (The default throws, uncaught.)
                onCompromised: () => undefined,
            });
            return () => release().catch(() => undefined);
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ELOCKED" || !budget.mayRetry(attempt)) {
                return WITHOUT_LOCK;
            }
            await backOff(attempt, LOCK_POLL);
        }
    }
}
