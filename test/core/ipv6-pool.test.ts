import { describe, expect, it } from "vitest";
import { cidrFromString } from "../../provider/core/cidr";
import { allocate, capacity, ledgerProblems, withSettings } from "../../provider/core/ledger";
import {
    exactCount,
    firstUnindexableSubnet,
    INDEXABLE_SUBNETS,
    indexableSubnets,
    indexOfSubnet,
    jsonCount,
    Pool,
    poolSize,
    subnetTextAt,
    totalSubnets,
} from "../../provider/core/pool";
import { reservedCount, reservedRuns } from "../../provider/core/reserved";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

const pool = (sliceSubnet: string, subnetSize: number): Pool => ({ sliceSubnet: cidrFromString(sliceSubnet), subnetSize });

describe("IPv6 pool arithmetic", () => {
    it.each([
        ["fd00:10::/48", 64, 65_536n],
        ["fd00::/32", 64, 2n ** 32n],
        ["fd00::/8", 64, 2n ** 56n],
        ["fd00::/104", 120, 65_536n],
        ["fc00::/8", 120, 2n ** 112n],
    ])("%s of /%i holds %s subnets, exactly", (slice, size, total) => {
        expect(poolSize(pool(slice, size))).toBe(total);
        expect(exactCount(totalSubnets(pool(slice, size)))).toBe(total.toString());
    });

    it("numbers subnets in address order", () => {
        const p = pool("fd00:10::/48", 64);
        expect(subnetTextAt(p, 0)).toBe("fd00:10::/64");
        expect(subnetTextAt(p, 1)).toBe("fd00:10:0:1::/64");
        expect(subnetTextAt(p, 65_535)).toBe("fd00:10:0:ffff::/64");
        expect(() => subnetTextAt(p, 65_536)).toThrow(RangeError);
        expect(indexOfSubnet(p, "fd00:10:0:ff::/64")).toEqual({ ok: true, index: 255 });
        expect(indexOfSubnet(p, "fd00:11::/64")).toEqual({ ok: false, code: "outside-pool" });
        expect(indexOfSubnet(p, "fd00:10::/56")).toEqual({ ok: false, code: "wrong-size" });
    });

    it("indexes the first 2^53 subnets of a larger pool, and no more", () => {
        const p = pool("fd00::/8", 64);
        expect(indexableSubnets(p)).toBe(INDEXABLE_SUBNETS);
        expect(Number.isSafeInteger(INDEXABLE_SUBNETS - 1)).toBe(true);
        expect(subnetTextAt(p, INDEXABLE_SUBNETS - 1)).toBe("fd1f:ffff:ffff:ffff::/64");
        expect(() => subnetTextAt(p, INDEXABLE_SUBNETS)).toThrow(RangeError);
        expect(indexOfSubnet(p, "fd1f:ffff:ffff:ffff::/64")).toEqual({ ok: true, index: INDEXABLE_SUBNETS - 1 });
        expect(indexOfSubnet(p, "fd20::/64")).toEqual({ ok: false, code: "beyond-indexes" });
        expect(firstUnindexableSubnet(p)).toBe("fd20::/64");
        expect(firstUnindexableSubnet(pool("fd00::/11", 64))).toBeUndefined();
        expect(indexableSubnets(pool("fd00::/11", 64))).toBe(2 ** 53);
    });

    it("counts reserved subnets exactly past 2^53, and keeps index runs inside the indexable part", () => {
        const p = pool("fd00::/8", 64);
        // fd80::/9 is the upper half, 2^55 subnets, all past the indexable first 2^53: no run.
        expect(reservedCount(p, ["fd80::/9", "fd00::/64", "fd00:0:0:2::/63"])).toBe(2n ** 55n + 3n);
        expect(reservedRuns(p, ["fd80::/9", "fd00::/64", "fd00:0:0:2::/63"])).toEqual([
            { first: 0, last: 0 },
            { first: 2, last: 3 },
        ]);
        expect(reservedRuns(p, ["fd00::/9"])).toEqual([{ first: 0, last: INDEXABLE_SUBNETS - 1 }]);
        // Ranges of the other version reserve nothing in the pool.
        expect(reservedCount(p, ["10.0.0.0/8"])).toBe(0n);
    });

    it("writes counts to JSON as numbers while safe, else as exact text", () => {
        expect(jsonCount(256)).toBe(256);
        expect(jsonCount(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
        expect(jsonCount(2n ** 53n)).toBe("9007199254740992");
        expect(jsonCount(2 ** 56)).toBe("72057594037927936");
    });
});

describe("IPv6 ledgers", () => {
    const v6 = { sliceSubnet: "fd00:10::/48", subnetSize: 64 };

    it("allocates first-fit /64s and reports exact capacity", () => {
        let ledger = ledgerFor(v6);
        ledger = mustAllocate(ledger, "a", at(0)).ledger;
        const b = mustAllocate(ledger, "b", at(0));
        expect(b.value.allocation).toMatchObject({ subnet: "fd00:10:0:1::/64", index: 1 });
        expect(capacity(b.ledger, at(0))).toEqual({
            totalSubnets: 65_536,
            activeSubnets: 2,
            releasedSubnets: 0,
            reservedSubnets: 0,
            reservedHeld: 0,
            availableSubnets: 4_094,
            utilization: 2 / 65_536,
            exact: { totalSubnets: "65536", reservedSubnets: "0", usableSubnets: "65536" },
        });
        expect(ledgerProblems(b.ledger)).toEqual([]);
    });

    it("keeps a /8 of /64s exact: 2^56 subnets, a reserved count that is not a power of two", () => {
        let ledger = ledgerFor({ sliceSubnet: "fd00::/8", subnetSize: 64 });
        ledger = withSettings(ledger, { ...ledger.spec, reservedRanges: ["fd00::/62", "fd80::/9"] });
        const first = mustAllocate(ledger, "a", at(0));
        expect(first.value.allocation).toMatchObject({ subnet: "fd00:0:0:4::/64", index: 4 });
        const figures = capacity(first.ledger, at(0));
        expect(figures.exact).toEqual({
            totalSubnets: (2n ** 56n).toString(),
            reservedSubnets: (2n ** 55n + 4n).toString(),
            usableSubnets: (2n ** 56n - 2n ** 55n - 4n).toString(),
        });
        expect(figures.totalSubnets).toBe(2 ** 56);
        expect(figures.availableSubnets).toBe(4_095);
    });

    it("stays exact when nearly all of a huge pool is reserved", () => {
        // Everything but the first four /64s: a float64 difference would say nothing is free.
        const reserved = ["fd00:0:0:4::/62", "fd00:0:0:8::/61", "fd00:0:0:10::/60", "fd00:0:0:20::/59", "fd00:0:0:40::/58"];
        for (let prefix = 57; prefix >= 9; prefix--) {
            reserved.push(subnetTextAt(pool("fd00::/8", prefix), 1));
        }
        const ledger = ledgerFor({ sliceSubnet: "fd00::/8", subnetSize: 64, reservedRanges: reserved });
        const figures = capacity(ledger, at(0));
        expect(figures.exact.usableSubnets).toBe("4");
        expect(figures.availableSubnets).toBe(4);
        expect(figures.utilization).toBe(0);
    });

    it("refuses a pin past the indexable subnets, saying why", () => {
        const ledger = ledgerFor({ sliceSubnet: "fd00::/8", subnetSize: 64 });
        const result = allocate(ledger, "a", at(0), { requestedIndex: INDEXABLE_SUBNETS });
        // An index the ledger cannot hold is no request: first-fit applies.
        expect(result.ok && result.value.allocation.index).toBe(0);
    });
});
