import { describe, expect, it } from "vitest";
import { emptyCounters } from "../../provider/core/counters";
import { decodeLedger } from "../../provider/store/ledger-document";

// Every version of kubeslice-ipam wrote all five settings.
const settings = { sliceName: "old", sliceSubnet: "10.1.0.0/16", subnetSize: 24, gracePeriodSeconds: 86_400, maxClusters: 4_096 };

describe("ledger documents", () => {
    it("load documents written before the counters existed", () => {
        const decoded = decodeLedger({
            spec: { ...settings },
            registeredAt: "2026-01-01T00:00:00.000Z",
            allocations: [],
            counters: { conflicts: 2 },
        });
        expect(decoded.ok && decoded.ledger.counters).toEqual({ ...emptyCounters(), conflicts: 2 });
    });

    it.each(["sliceName", "sliceSubnet", "subnetSize", "gracePeriodSeconds", "maxClusters"])(
        "refuse a document missing the setting %s, naming it: defaults belong to inputs, never to stored state",
        (setting) => {
            const { [setting as keyof typeof settings]: _missing, ...spec } = settings;
            const decoded = decodeLedger({ spec, registeredAt: "2026-01-01T00:00:00.000Z", allocations: [] });
            expect(decoded).toEqual({
                ok: false,
                problems: [
                    `spec.${setting}: ${setting} is missing; a stored ledger holds every setting and none is filled with a default (defaults apply to inputs only)`,
                ],
            });
        },
    );
});
