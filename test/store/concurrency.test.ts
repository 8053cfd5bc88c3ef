import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Allocation } from "../../provider/core/ledger";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { LedgerStore } from "../../provider/store/ledger-store";
import { allocateFromProcesses } from "../support/allocate-workers";
import { makeTempDir } from "../support/temp-dir";

const spec = sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" });

function expectExactlyIndexes(allocations: Allocation[], count: number) {
    expect(new Set(allocations.map((a) => a.subnet)).size).toBe(count);
    expect(allocations.map((a) => a.index).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
}

/** Counts the writes that reach the store. */
function countingWrites(store: LedgerStore): { store: LedgerStore; writes: () => number } {
    let writes = 0;
    return {
        store: {
            description: store.description,
            key: store.key,
            load: (slice) => store.load(slice),
            list: () => store.list(),
            listEach: () => store.listEach(),
            compareAndSwap: (slice, version, next) => {
                writes++;
                return store.compareAndSwap(slice, version, next);
            },
        },
        writes: () => writes,
    };
}

describe("concurrent allocation", () => {
    let temp: ReturnType<typeof makeTempDir>;
    beforeEach(() => {
        temp = makeTempDir();
    });
    afterEach(() => temp.remove());

    it("256 parallel allocations in one process get indexes 0-255, in a few group-committed writes", async () => {
        const counted = countingWrites(new FileLedgerStore(temp.dir));
        await registerSlice(counted.store, spec);
        const before = counted.writes();
        const clusters = Array.from({ length: 256 }, (_, i) => `cluster-${i}`);
        const results = await Promise.all(clusters.map((cluster) => allocateSubnet(counted.store, "blue", cluster)));
        expectExactlyIndexes(
            results.map((r) => r.allocation),
            256,
        );
        // Arrival order is allocation order inside a process: the guide's sequential promise.
        expect(results.map((r) => r.allocation.index)).toEqual(clusters.map((_, i) => i));
        expect(counted.writes() - before).toBeLessThanOrEqual(4);
        const stored = (await new FileLedgerStore(temp.dir).load("blue"))!.ledger;
        expectExactlyIndexes([...stored.allocations], 256);
    });

    it("4 processes allocating 64 clusters each at once get 256 distinct subnets, indexes 0-255", async () => {
        await registerSlice(new FileLedgerStore(temp.dir), spec);
        const results = await allocateFromProcesses(temp.dir, "blue", ["p0", "p1", "p2", "p3"], 64);
        for (const result of results) {
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
        }
        const allocations = results.flatMap((result) => result.allocations);
        expect(allocations).toHaveLength(256);
        expectExactlyIndexes(allocations, 256);
        const stored = (await new FileLedgerStore(temp.dir).load("blue"))!.ledger;
        expectExactlyIndexes([...stored.allocations], 256);
        expect(stored.allocations.map((a) => a.clusterName).sort()).toEqual(allocations.map((a) => a.clusterName).sort());
    });

    it("4 processes allocating at once leave one history event per allocation, none lost or doubled, each naming its process", async () => {
        await registerSlice(new FileLedgerStore(temp.dir), spec);
        const prefixes = ["p0", "p1", "p2", "p3"];
        const results = await allocateFromProcesses(temp.dir, "blue", prefixes, 64, undefined, (prefix) => ({ PULUMI_PROJECT: `project-${prefix}` }));
        results.forEach((result) => expect(result.stderr).toBe(""));
        const stored = (await new FileLedgerStore(temp.dir).load("blue"))!.ledger;
        const allocatedEvents = (stored.history ?? []).filter((event) => event.action === "allocated");
        expect(allocatedEvents).toHaveLength(256);
        const subnetOf = new Map(stored.allocations.map((entry) => [entry.clusterName, entry.subnet]));
        for (const event of allocatedEvents) {
            expect(event.subnet).toBe(subnetOf.get(event.clusterName!));
            expect(event.actor).toMatchObject({ via: "pulumi", project: `project-${event.clusterName!.split("-")[0]}` });
        }
        expect(new Set(allocatedEvents.map((event) => event.clusterName)).size).toBe(256);
    });
});
