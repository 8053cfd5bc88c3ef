import { describe, expect, it } from "vitest";
import { cidrFromString, cidrToString, contains, isPrivateIpv4, overlaps, parseCidr } from "../../provider/core/cidr";

describe("parseCidr", () => {
    it.each(["10.1.0.0/16", "192.168.0.0/20", "172.16.0.0/12", "0.0.0.0/0", "10.0.0.0/8"])("accepts %s", (text) => {
        const parsed = parseCidr(text);
        expect(parsed.ok).toBe(true);
        expect(parsed.ok && cidrToString(parsed.cidr)).toBe(text);
    });

    it.each(["10.1.0.0", "10.1.0.0/33", "10.1.0/16", "010.1.0.0/16", "10.1.0.0/016", " 10.1.0.0/16", "abc", "10.256.0.0/16"])(
        "rejects %j as not CIDR",
        (text) => {
            expect(parseCidr(text)).toEqual({ ok: false, failure: { code: "not-cidr", input: text } });
        },
    );

    it("reports host bits with the block the user probably meant", () => {
        expect(parseCidr("10.1.0.1/16")).toEqual({
            ok: false,
            failure: { code: "host-bits-set", input: "10.1.0.1/16", suggestion: "10.1.0.0/16" },
        });
    });

    it("parses IPv6 with the same arithmetic", () => {
        const parsed = parseCidr("fd00::/48");
        expect(parsed.ok && parsed.cidr.version).toBe(6);
        expect(parsed.ok && parsed.cidr.prefix).toBe(48);
        expect(parseCidr("fd00::1/48").ok).toBe(false);
    });
});

describe("block relations", () => {
    const block = cidrFromString;
    it("contains", () => {
        expect(contains(block("10.0.0.0/8"), block("10.1.0.0/16"))).toBe(true);
        expect(contains(block("10.1.0.0/16"), block("10.0.0.0/8"))).toBe(false);
        expect(contains(block("10.1.0.0/16"), block("10.2.0.0/24"))).toBe(false);
    });
    it("overlaps", () => {
        expect(overlaps(block("10.2.0.0/16"), block("10.2.128.0/17"))).toBe(true);
        expect(overlaps(block("10.2.0.0/16"), block("10.3.0.0/16"))).toBe(false);
        expect(overlaps(block("10.2.255.252/30"), block("10.2.255.255/32"))).toBe(true);
    });
    it.each([
        ["10.1.0.0/16", true],
        ["172.16.0.0/12", true],
        ["172.32.0.0/16", false],
        ["192.168.1.0/24", true],
        ["8.8.8.0/24", false],
        ["0.0.0.0/0", false],
    ])("isPrivateIpv4(%s) is %s", (text, expected) => {
        expect(isPrivateIpv4(block(text))).toBe(expected);
    });
});

describe("IPv6 text (RFC 5952)", () => {
    it.each([
        ["fd00::/8", "fd00::/8"],
        ["fd00:10::/48", "fd00:10::/48"],
        ["fd00:0:0:1::/64", "fd00:0:0:1::/64"],
        ["fd00::1:0:0:0/80", "fd00::1:0:0:0/80"],
        ["fd00:0:0:1:0:0:1:0/128", "fd00::1:0:0:1:0/128"], // equal runs: the first
        ["fd00:0:0:1:0:0:0:0/128", "fd00:0:0:1::/128"],
        ["fd00:1:0:1:0:1:0:1/128", "fd00:1:0:1:0:1:0:1/128"],
        ["::/0", "::/0"],
    ])("%s reads and writes as %s", (text, canonical) => {
        const parsed = parseCidr(text);
        const cidr = parsed.ok ? parsed.cidr : parsed.failure.code === "not-canonical" ? cidrFromString(parsed.failure.suggestion) : undefined;
        expect(cidr && cidrToString(cidr)).toBe(canonical);
        expect(parsed.ok).toBe(text === canonical);
    });
});
