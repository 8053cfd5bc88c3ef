import { describe, expect, it } from "vitest";
import { backoffDelay, retryBudget } from "../../provider/store/backoff";

describe("retryBudget", () => {
    it("stops once the time limit has passed since it was made", () => {
        let now = 1_000;
        const budget = retryBudget({ timeLimitMs: 500 }, () => now);
        now = 1_499;
        expect(budget.mayRetry(50)).toBe(true);
        now = 1_500;
        expect(budget.mayRetry(1)).toBe(false);
        expect(budget.elapsedMs()).toBe(500);
    });

    it("stops after the given number of attempts, whichever limit comes first", () => {
        const budget = retryBudget({ timeLimitMs: 60_000, attempts: 3 }, () => 0);
        expect(budget.mayRetry(2)).toBe(true);
        expect(budget.mayRetry(3)).toBe(false);
    });

    it("never stops without a limit", () => {
        expect(retryBudget({}).mayRetry(1_000_000)).toBe(true);
    });
});

describe("backoffDelay", () => {
    it("starts below the base delay and stays below the cap", () => {
        const backoff = { baseDelayMs: 200, maxDelayMs: 2_000 };
        expect(backoffDelay(1, backoff, () => 0.999)).toBe(199);
        expect(backoffDelay(20, backoff, () => 0.999)).toBe(1_998);
    });
});
