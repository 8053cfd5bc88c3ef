import { describe, expect, it } from "vitest";
import { countIn, LATENCY_BUCKETS_SECONDS } from "../../provider/core/counters";
import { ledgerFor } from "./ledger-fixtures";

describe("latency histogram", () => {
    it.each([
        [0.0005, 0],
        [0.001, 0],
        [0.005, 1],
        [0.5, 3],
        [10, 4],
    ])("puts %f s in bucket %i", (seconds, bucket) => {
        const counted = countIn(ledgerFor(), { allocationLatencySeconds: seconds }).counters.allocationLatency;
        expect(counted.bucketCounts).toEqual(LATENCY_BUCKETS_SECONDS.map((_, i) => (i === bucket ? 1 : 0)));
        expect(counted).toMatchObject({ sum: seconds, count: 1 });
    });

    it("counts an observation above every bound only in count and sum (the +Inf bucket)", () => {
        const counted = countIn(ledgerFor(), { allocationLatencySeconds: 42 }).counters.allocationLatency;
        expect(counted).toEqual({ bucketCounts: [0, 0, 0, 0, 0], sum: 42, count: 1 });
    });
});
