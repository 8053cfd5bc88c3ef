/**
 * How every retry loop of the project waits and when it stops: exponential
 * backoff with full jitter (a pause drawn uniformly up to a cap that doubles
 * each attempt, AWS Architecture Blog, "Exponential Backoff and Jitter"), so
 * that writers that lost the same race, or met the same restarting server,
 * spread out instead of colliding again; bounded by time where the caller's
 * failures are other writers' progress or a server's restart, whose length
 * no count of attempts predicts.
 */

/** The pause before attempt `attempt + 1`: at most `baseDelayMs` after the first, doubling up to `maxDelayMs`. */
export interface Backoff {
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
}

/** When a retry loop gives up: after `timeLimitMs` since its start, after `attempts`, whichever comes first. */
export interface RetryLimit {
    /** Give up once this long has passed since the first attempt. */
    readonly timeLimitMs?: number;
    /** Give up after this many attempts. */
    readonly attempts?: number;
}

/** Full jitter: uniformly random up to the exponential cap, so racing writers spread out. `attempt` counts from 1. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
    const cap = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(random() * cap);
}

/** Waits {@link backoffDelay} after failed attempt `attempt`. */
export function backOff(attempt: number, backoff: Backoff, sleep: (ms: number) => Promise<void> = wait): Promise<void> {
    return sleep(backoffDelay(attempt, backoff));
}

/** A retry loop's budget, counted from when it is made. */
export interface RetryBudget {
    /** Whether another attempt may follow failed attempt `attempt` (counted from 1). */
    mayRetry(attempt: number): boolean;
    elapsedMs(): number;
}

export function retryBudget(limit: RetryLimit, now: () => number = Date.now): RetryBudget {
    const started = now();
    return {
        mayRetry: (attempt) =>
            (limit.attempts === undefined || attempt < limit.attempts) && (limit.timeLimitMs === undefined || now() - started < limit.timeLimitMs),
        elapsedMs: () => now() - started,
    };
}

function wait(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
