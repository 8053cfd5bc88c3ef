import fc from "fast-check";
import { collapseIPv6Number, IPv6 } from "ip-num";
import { describe, expect, it } from "vitest";
import { cidrToString } from "../../provider/core/cidr";

// Groups are mostly zero so that runs of zeros of every length and position occur.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 0xffff }));
const address = fc.array(group, { minLength: 8, maxLength: 8 }).map((groups) => groups.reduce((value, g) => (value << 16n) | BigInt(g), 0n));

describe("IPv6 text (RFC 5952)", () => {
    it("is ip-num's collapsed text of the same address, for any address", () => {
        fc.assert(
            fc.property(address, (value) => {
                expect(cidrToString({ version: 6, network: value, prefix: 128 })).toBe(
                    `${collapseIPv6Number(IPv6.fromBigInt(value).toString())}/128`,
                );
            }),
            { numRuns: 20_000 },
        );
    });
});
