import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { poolOf } from "../../provider/core/ledger";
import { planAllocations } from "../../provider/core/plan";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { makeTempDir } from "../support/temp-dir";

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
        // Each took well under the top bound (10 s), so each is in a finite bucket, not only in +Inf.
        expect(counters.allocationLatency.bucketCounts.reduce((a, b) => a + b, 0)).toBe(3);
    });
});

const spec = sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16" });

describe("planned allocation", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    beforeEach(async () => {
        temp = makeTempDir();
        store = new FileLedgerStore(temp.dir);
        await registerSlice(store, spec);
    });
    afterEach(() => temp.remove());

    it("64 allocations created in random order and in parallel end up exactly as planned", async () => {
        for (const early of ["c-10", "c-3", "c-40"]) {
            await allocateSubnet(store, "blue", early);
        }
        const clusters = Array.from({ length: 64 }, (_, i) => `c-${i}`);
        const ledger = (await store.load("blue"))!.ledger;
        const planned = planAllocations({ sliceName: "blue", pool: poolOf(spec), ledger, clusters, now: new Date() });
        if (!planned.ok) {
            throw new Error("plan failed");
        }
        const order = fc.sample(fc.shuffledSubarray(clusters, { minLength: 64, maxLength: 64 }), { numRuns: 1, seed: 42 })[0];
        const results = await Promise.all(
            order.map((cluster) => allocateSubnet(store, "blue", cluster, undefined, { requestedSubnet: planned.plan[cluster].subnet })),
        );
        const got = Object.fromEntries(order.map((cluster, i) => [cluster, results[i].allocation.subnet]));
        expect(got).toEqual(Object.fromEntries(clusters.map((c) => [c, planned.plan[c].subnet])));
        expect(results.every((r) => r.request === undefined || r.request.honoured)).toBe(true);
    });

    it("falls back to first-fit when another writer took the planned subnet between plan and create", async () => {
        const planned = planAllocations({ sliceName: "blue", pool: poolOf(spec), clusters: ["x"], now: new Date() });
        const subnet = planned.ok ? planned.plan.x.subnet : "";
        expect(subnet).toBe("10.1.0.0/24");
        await allocateSubnet(new FileLedgerStore(temp.dir), "blue", "intruder", undefined, { requestedSubnet: subnet });
        const result = await allocateSubnet(store, "blue", "x", undefined, { requestedSubnet: subnet });
        expect(result.allocation.subnet).toBe("10.1.1.0/24");
        expect(result.request).toEqual({ index: 0, honoured: false, heldBy: "intruder" });
        const subnets = (await store.load("blue"))!.ledger.allocations.map((a) => a.subnet);
        expect(new Set(subnets).size).toBe(subnets.length);
    });

    it("refuses a requested subnet that is not a block of the pool, whatever other writers do", async () => {
        await expect(allocateSubnet(store, "blue", "x", undefined, { requestedSubnet: "10.2.0.0/24" })).rejects.toThrow(
            'pinned subnet 10.2.0.0/24 for cluster "x" is outside the pool of slice "blue" (10.1.0.0/16, /24 subnets); ' +
                "pin a /24 block inside 10.1.0.0/16, or remove the pin",
        );
        expect((await store.load("blue"))!.ledger.allocations).toEqual([]);
    });
});
