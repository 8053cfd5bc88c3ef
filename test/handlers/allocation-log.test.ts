import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AllocateValue } from "../../provider/core/ledger";
import { sliceSpecSchema } from "../../provider/core/validation";
import {
    allocationLogEntry,
    exhaustionLevel,
    exhaustionLogEntry,
    exhaustionWarning,
    formatLogEntry,
    LogEntry,
    withAllocationLog,
} from "../../provider/handlers/allocation-log";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { LedgerStore } from "../../provider/store/ledger-store";
import { makeTempDir } from "../support/temp-dir";

const allocation = { clusterName: "worker-1", subnet: "10.2.0.0/24", index: 0, status: "Allocated" as const, allocatedAt: "2025-11-19T10:00:00Z" };

describe("log entries", () => {
    it("writes the guide's allocation message with its fields as JSON", () => {
        const entry = allocationLogEntry("blue", "worker-1", { allocation, outcome: "allocated", reclaimed: [] }, 5.2371);
        expect(entry).toEqual({
            level: "info",
            message: "Allocated subnet for cluster",
            fields: { slice: "blue", cluster: "worker-1", subnet: "10.2.0.0/24", duration_ms: 5.2 },
        });
        expect(formatLogEntry(entry!)).toBe(
            'Allocated subnet for cluster {"slice":"blue","cluster":"worker-1","subnet":"10.2.0.0/24","duration_ms":5.2}',
        );
    });

    it("says when a released subnet was handed back", () => {
        const value: AllocateValue = { allocation, outcome: "reused", previouslyReleasedAt: "2025-11-19T14:00:00Z", reclaimed: [] };
        expect(formatLogEntry(allocationLogEntry("blue", "worker-1", value, 3)!)).toBe(
            'Reused existing subnet for cluster {"slice":"blue","cluster":"worker-1","subnet":"10.2.0.0/24",' +
                '"previously_released_at":"2025-11-19T14:00:00Z"}',
        );
    });

    it("logs nothing when an existing allocation was adopted", () => {
        expect(allocationLogEntry("blue", "worker-1", { allocation, outcome: "existing", reclaimed: [] }, 1)).toBeUndefined();
    });

    it.each([
        [0, 0],
        [0.7999, 0],
        [0.8, 1],
        [0.8999, 1],
        [0.9, 2],
        [1, 2],
    ])("utilization %f is exhaustion level %i", (utilization, level) => {
        expect(exhaustionLevel(utilization)).toBe(level);
    });

    it("warns with available, total and utilization", () => {
        const figures = {
            totalSubnets: 256,
            activeSubnets: 246,
            releasedSubnets: 0,
            reservedSubnets: 0,
            reservedHeld: 0,
            availableSubnets: 10,
            utilization: 246 / 256,
            exact: { totalSubnets: "256", reservedSubnets: "0", usableSubnets: "256" },
        };
        expect(formatLogEntry(exhaustionLogEntry("my-slice", figures))).toBe(
            'Subnet pool approaching exhaustion {"slice":"my-slice","available":10,"total":256,"utilization":0.9609}',
        );
        expect(exhaustionLogEntry("my-slice", figures).level).toBe("warn");
    });
});

describe("withAllocationLog", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    let logged: LogEntry[];
    const log = (entry: LogEntry) => logged.push(entry);
    const allocate = (cluster: string) => withAllocationLog("tiny", cluster, () => allocateSubnet(store, "tiny", cluster), { log });
    const warnings = () => logged.filter((entry) => entry.level === "warn").map((entry) => entry.fields);

    beforeEach(async () => {
        temp = makeTempDir();
        store = new FileLedgerStore(temp.dir);
        logged = [];
        // 16 subnets: the 13th allocation crosses 80 % (13/16), the 15th crosses 90 % (15/16).
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "tiny", sliceSubnet: "192.168.0.0/24", subnetSize: 28 }));
    });
    afterEach(() => temp.remove());

    it("logs each allocation and warns once when crossing 80 % and again at 90 %", async () => {
        for (let i = 1; i <= 16; i++) {
            await allocate(`c-${i}`);
        }
        expect(logged.filter((entry) => entry.message === "Allocated subnet for cluster")).toHaveLength(16);
        expect(warnings()).toEqual([
            { slice: "tiny", available: 3, total: 16, utilization: 0.8125 },
            { slice: "tiny", available: 1, total: 16, utilization: 0.9375 },
        ]);
        expect(logged.findIndex((entry) => entry.level === "warn")).toBe(13); // right after the 13th allocation's line
    });

    it("warns exactly once per threshold when allocations are committed together", async () => {
        for (let i = 1; i <= 10; i++) {
            await allocateSubnet(store, "tiny", `c-${i}`); // 62.5 % before the batch
        }
        await Promise.all(Array.from({ length: 6 }, (_, i) => allocate(`n-${i}`)));
        expect(warnings()).toEqual([
            { slice: "tiny", available: 3, total: 16, utilization: 0.8125 },
            { slice: "tiny", available: 1, total: 16, utilization: 0.9375 },
        ]);
    });

    it("warns once for an allocation that crosses both thresholds", () => {
        const figures = (active: number) => ({
            totalSubnets: 4,
            activeSubnets: active,
            releasedSubnets: 0,
            reservedSubnets: 0,
            reservedHeld: 0,
            availableSubnets: 4 - active,
            utilization: active / 4,
            exact: { totalSubnets: "4", reservedSubnets: "0", usableSubnets: "4" },
        });
        const value: AllocateValue = { allocation, outcome: "allocated", reclaimed: [], capacity: { before: figures(3), after: figures(4) } };
        expect(exhaustionWarning("blue", value)?.fields).toEqual({ slice: "blue", available: 0, total: 4, utilization: 1 });
        expect(exhaustionWarning("blue", { ...value, capacity: { before: figures(4), after: figures(4) } })).toBeUndefined();
    });

    it("does not warn for a threshold the slice had already reached", async () => {
        for (let i = 1; i <= 13; i++) {
            await allocateSubnet(store, "tiny", `c-${i}`); // 81 %
        }
        await allocate("n-1");
        expect(warnings()).toEqual([]);
        await allocate("n-2");
        expect(warnings()).toEqual([{ slice: "tiny", available: 1, total: 16, utilization: 0.9375 }]);
    });

    it("reads the store no more than the allocations themselves do", async () => {
        let reads = 0;
        const counting: LedgerStore = {
            // Its own key: the group commit runs queued changes with the store that started the queue's drain.
            key: `${store.key}#counting`,
            description: store.description,
            load: (slice) => (reads++, store.load(slice)),
            list: () => store.list(),
            listEach: () => store.listEach(),
            compareAndSwap: (slice, expected, next) => store.compareAndSwap(slice, expected, next),
        };
        for (let i = 1; i <= 16; i++) {
            await withAllocationLog("tiny", `c-${i}`, () => allocateSubnet(counting, "tiny", `c-${i}`), { log });
        }
        // One read per allocation (its compare-and-swap's), none for the warnings at 80 % and 90 %.
        expect(reads).toBe(16);
        expect(warnings()).toHaveLength(2);
    });

    it("logs a reuse, and nothing for an adopted allocation", async () => {
        await allocate("a");
        await releaseSubnet(store, "tiny", "a");
        await allocate("a");
        await allocate("a");
        expect(logged.map((entry) => entry.message)).toEqual(["Allocated subnet for cluster", "Reused existing subnet for cluster"]);
        expect(logged[1].fields.previously_released_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it("logs nothing and rethrows when the allocation fails", async () => {
        await expect(withAllocationLog("nope", "a", () => allocateSubnet(store, "nope", "a"), { log })).rejects.toThrow(
            /slice "nope" is not registered/,
        );
        expect(logged).toEqual([]);
    });
});
