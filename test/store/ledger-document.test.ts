import { afterAll, describe, expect, it } from "vitest";
import { emptyCounters } from "../../provider/core/counters";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { allocateSubnet } from "../../provider/service/allocations";
import { registerSlice, updateSliceSettings } from "../../provider/service/slices";
import { sliceSpecSchema } from "../../provider/core/validation";
import { FileLedgerStore } from "../../provider/store/file-store";
import { decodeLedger, encodeLedger } from "../../provider/store/ledger-document";
import { itKeepsDualStackSlices } from "./dual-stack-contract";

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

    it("read a document without reservedRanges (written before they existed) as reserving nothing", () => {
        const decoded = decodeLedger({ spec: { ...settings }, registeredAt: "2026-01-01T00:00:00.000Z", allocations: [] });
        expect(decoded.ok && decoded.ledger.spec).toEqual(settings);
        expect(decoded.ok && encodeLedger(decoded.ledger).spec).toEqual(settings);
    });

    it("refuse a stored reserved range that is not CIDR, naming it", () => {
        const decoded = decodeLedger({
            spec: { ...settings, reservedRanges: ["10.1.0.1/24"] },
            registeredAt: "2026-01-01T00:00:00.000Z",
            allocations: [],
        });
        expect(decoded.ok).toBe(false);
        expect(!decoded.ok && decoded.problems.join("\n")).toContain('reservedRanges[0] "10.1.0.1/24" has host bits set');
    });

    it("round-trip reserved ranges through the file store", async () => {
        const directory = mkdtempSync(path.join(tmpdir(), "reserved-"));
        try {
            const store = new FileLedgerStore(directory);
            await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16", reservedRanges: ["10.1.0.0/23"] }));
            expect((await allocateSubnet(store, "blue", "a")).allocation.subnet).toBe("10.1.2.0/24");
            const reread = new FileLedgerStore(directory);
            expect((await reread.load("blue"))!.ledger.spec.reservedRanges).toEqual(["10.1.0.0/23"]);
            const files = readdirSync(path.join(directory, "blue"));
            const text = readFileSync(path.join(directory, "blue", files.sort().at(-1)!), "utf8");
            expect(text).toContain('"reservedRanges"');
            await updateSliceSettings(reread, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16", reservedRanges: [] }));
            expect((await new FileLedgerStore(directory).load("blue"))!.ledger.spec).not.toHaveProperty("reservedRanges");
        } finally {
            rmSync(directory, { recursive: true, force: true });
        }
    });

    describe("dual-stack slices in the file store", () => {
        const directories: string[] = [];
        afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));
        itKeepsDualStackSlices(() => {
            const directory = mkdtempSync(path.join(tmpdir(), "dual-stack-"));
            directories.push(directory);
            return () => new FileLedgerStore(directory);
        });

        it("store entries as a single-stack slice does: the IPv6 subnet is derived from the index on reading", async () => {
            const directory = mkdtempSync(path.join(tmpdir(), "dual-stack-"));
            directories.push(directory);
            const store = new FileLedgerStore(directory);
            await registerSlice(
                store,
                sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16", sliceSubnetIpv6: "fd00:1::/48", subnetSizeIpv6: 64 }),
            );
            await allocateSubnet(store, "blue", "a");
            const files = readdirSync(path.join(directory, "blue"));
            const stored = JSON.parse(readFileSync(path.join(directory, "blue", files.sort().at(-1)!), "utf8"));
            expect(stored.spec).toMatchObject({ sliceSubnet: "10.1.0.0/16", subnetSize: 24, sliceSubnetIpv6: "fd00:1::/48", subnetSizeIpv6: 64 });
            expect(Object.keys(stored.allocations[0])).toEqual(["clusterName", "subnet", "index", "status", "allocatedAt"]);
            expect((await new FileLedgerStore(directory).load("blue"))!.ledger.allocations[0].subnetIpv6).toBe("fd00:1::/64");
        });
    });

    it("refuse a stored IPv6 pool without its subnet size, naming it", () => {
        const decoded = decodeLedger({
            spec: { ...settings, sliceSubnetIpv6: "fd00:1::/48" },
            registeredAt: "2026-01-01T00:00:00.000Z",
            allocations: [],
        });
        expect(!decoded.ok && decoded.problems).toEqual([
            'spec.subnetSizeIpv6: subnetSizeIpv6 is required with sliceSubnetIpv6 "fd00:1::/48" (e.g. 64)',
        ]);
    });
});
