import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countIn, emptyCounters, LATENCY_BUCKETS_SECONDS } from "../../provider/core/counters";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { decodeLedger } from "../../provider/store/ledger-document";
import { makeTempDir } from "../support/temp-dir";
import { ledgerFor } from "../core/ledger-fixtures";

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

describe("counters kept with the ledger", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    beforeEach(async () => {
        temp = makeTempDir();
        store = new FileLedgerStore(temp.dir);
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "tiny", sliceSubnet: "192.168.0.0/23", gracePeriodSeconds: 0 }));
    });
    afterEach(() => temp.remove());

    it("count successes, refusals, releases, reclaims and latencies; adoption counts nothing", async () => {
        await allocateSubnet(store, "tiny", "a");
        await allocateSubnet(store, "tiny", "b");
        await allocateSubnet(store, "tiny", "a"); // already held: no count, no write
        await expect(allocateSubnet(store, "tiny", "c")).rejects.toThrow(/no available subnets/);
        await releaseSubnet(store, "tiny", "a");
        await releaseSubnet(store, "tiny", "a"); // idempotent: counted once
        await allocateSubnet(store, "tiny", "c"); // reclaims a's subnet (grace period 0)
        const counters = (await store.load("tiny"))!.ledger.counters;
        expect(counters).toMatchObject({ allocationsSucceeded: 3, allocationsFailed: 1, releases: 1, reclaimed: 1, conflicts: 0 });
        expect(counters.allocationLatency.count).toBe(3);
        expect(counters.allocationLatency.bucketCounts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3);
    });

    it("load documents written before the counters existed", () => {
        const decoded = decodeLedger({
            spec: { sliceName: "old", sliceSubnet: "10.1.0.0/16" },
            registeredAt: "2026-01-01T00:00:00.000Z",
            allocations: [],
            counters: { conflicts: 2 },
        });
        expect(decoded.ok && decoded.ledger.counters).toEqual({ ...emptyCounters(), conflicts: 2 });
    });
});
