import { describe, expect, it } from "vitest";
import { emptyCounters } from "../../provider/core/counters";
import { decodeLedger } from "../../provider/store/ledger-document";

describe("ledger documents", () => {
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
