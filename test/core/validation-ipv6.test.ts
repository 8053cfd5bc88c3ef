import { describe, expect, it } from "vitest";
import { checkReservedRangesLeaveRoom, checkSubnetSizeFitsSlice, issuesByProperty, sliceSpecSchema } from "../../provider/core/validation";

function problems(input: Record<string, unknown>) {
    const parsed = sliceSpecSchema.safeParse(input);
    return parsed.success ? [] : issuesByProperty(parsed.error);
}

const valid = { sliceName: "blue", sliceSubnet: "fd00:10::/48", subnetSize: 64 };

describe("IPv6 slice settings", () => {
    it.each([
        ["fd00:10::/48", 64],
        ["fd00::/8", 64],
        ["fc00::/8", 48],
        ["fd00::/32", 64],
        ["fd00::/104", 120],
        ["fd00::/118", 120],
        ["fd12:3456:789a::/48", 56],
    ])("accepts %s with /%i", (sliceSubnet, subnetSize) => {
        expect(problems({ sliceName: "s", sliceSubnet, subnetSize })).toEqual([]);
    });

    it.each([
        [
            { sliceSubnet: "2001:db8::/32" },
            "sliceSubnet",
            'sliceSubnet "2001:db8::/32" is not a unique local IPv6 range; use a block inside fc00::/7 (e.g. "fd00:10::/48")',
        ],
        [
            { sliceSubnet: "fc00::/7" },
            "sliceSubnet",
            'sliceSubnet "fc00::/7" has prefix /7; the prefix of an IPv6 slice subnet must be between /8 and /118',
        ],
        [{ sliceSubnet: "fd00::/119", subnetSize: 120 }, "sliceSubnet", "must be between /8 and /118"],
        [{ sliceSubnet: "fd00:10::1/48" }, "sliceSubnet", 'sliceSubnet "fd00:10::1/48" has host bits set; did you mean "fd00:10::/48"?'],
        [
            { subnetSize: 24 },
            "subnetSize",
            'subnetSize must be a whole number between 48 and 120 for an IPv6 sliceSubnet such as "fd00:10::/48"; got 24 (e.g. 56)',
        ],
        [{ subnetSize: 121 }, "subnetSize", "subnetSize must be a whole number between 16 and 30 (IPv4) or 48 and 120 (IPv6); got 121"],
        [
            { subnetSize: 48 },
            "subnetSize",
            'subnetSize 48 must be longer than the sliceSubnet prefix /48 of "fd00:10::/48" (e.g. 56 gives 256 subnets)',
        ],
        [{ sliceSubnet: "fd00::/8", subnetSize: 8 + 0 }, "subnetSize", "between 16 and 30 (IPv4) or 48 and 120 (IPv6); got 8"],
    ])("rejects %j on %s with an actionable message", (override, property, message) => {
        const found = problems({ ...valid, ...override });
        expect(found.map((issue) => issue.property)).toEqual([property]);
        expect(found[0].message).toContain(message);
    });

    it("gives a power-of-two example when the pool is huge", () => {
        expect(checkSubnetSizeFitsSlice("fd00::/48", 40)?.message).toContain("got 40 (e.g. 56)");
        expect(checkSubnetSizeFitsSlice("fd00::/8", 48)).toBeUndefined();
    });

    it("accepts IPv6 reserved ranges, and ranges of the other version, which reserve nothing", () => {
        expect(problems({ ...valid, reservedRanges: ["fd00:10::/56", "10.0.0.0/8"] })).toEqual([]);
    });

    it("refuses reserved ranges covering every subnet that can be handed out, naming the indexable part in a huge pool", () => {
        expect(checkReservedRangesLeaveRoom("fd00:10::/48", 64, ["fd00:10::/48"])?.message).toBe(
            "reservedRanges cover every /64 subnet of fd00:10::/48, so no cluster could join; reserve less of the pool",
        );
        expect(checkReservedRangesLeaveRoom("fd00::/8", 64, ["fd00::/11"])?.message).toBe(
            "reservedRanges cover every indexable /64 subnet (the first 2^53) of fd00::/8, so no cluster could join; reserve less of the pool",
        );
        expect(checkReservedRangesLeaveRoom("fd00::/8", 64, ["fd00::/12"])).toBeUndefined();
    });
});
