import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator } from "ip-num";
import { LRUCache } from "lru-cache";
import { KubesliceIpamError } from "./kubeslice-ipam-error";

/** The IP version of an address block. */
export type IpVersion = 4 | 6;

/**
 * A parsed, canonical CIDR block. Addresses are `bigint`s so that the same
 * arithmetic serves IPv4 and IPv6; strings exist only at the edges.
 */
export interface Cidr {
    readonly version: IpVersion;
    /** The first address of the block, host bits all zero. */
    readonly network: bigint;
    readonly prefix: number;
}

export type CidrParseFailure =
    | { readonly code: "not-cidr"; readonly input: string }
    | { readonly code: "host-bits-set"; readonly input: string; readonly suggestion: string }
    /** An IPv6 block not in the RFC 5952 spelling (lower case, zeros compressed): two spellings would name one block. */
    | { readonly code: "not-canonical"; readonly input: string; readonly suggestion: string };

export type CidrParseResult = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly failure: CidrParseFailure };

// ip-num accepts some spellings (e.g. "/016") that would make two strings name
// one block; the ledger compares subnets as strings, so only the canonical
// spelling is accepted.
const IPV4_CIDR_SHAPE = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}\/(\d|[12]\d|3[0-2])$/;

/** Bit width of an address of the given version. */
export function addressBits(version: IpVersion): number {
    return version === 4 ? 32 : 128;
}

// ip-num's IPv6 parsing costs ~40 µs, and every ledger operation parses its
// slice subnet several times: results of the same text are kept (they are
// immutable), so an IPv6 slice allocates as fast as an IPv4 one.
/** The longest CIDR text: a full IPv6 address and /128. */
const CIDR_TEXT_MAX = 43;
const parsed = new LRUCache<string, CidrParseResult>({ max: 4_096 });

/** Parses CIDR notation ("10.1.0.0/16"). Expected failures are values, never throws. */
export function parseCidr(input: string): CidrParseResult {
    if (input.length > CIDR_TEXT_MAX) {
        return parseUncached(input); // never a CIDR; not kept, however many a user sends
    }
    let result = parsed.get(input);
    if (result === undefined) {
        result = parseUncached(input);
        parsed.set(input, result);
    }
    return result;
}

function parseUncached(input: string): CidrParseResult {
    if (input.includes(":")) {
        return parseIpv6(input);
    }
    if (!IPV4_CIDR_SHAPE.test(input) || !Validator.isValidIPv4CidrNotation(input)[0]) {
        return { ok: false, failure: { code: "not-cidr", input } };
    }
    const [address, prefixText] = input.split("/");
    const prefix = Number(prefixText);
    const value = IPv4.fromString(address).getValue();
    const network = value & networkMask(4, prefix);
    if (network !== value) {
        const suggestion = cidrToString({ version: 4, network, prefix });
        return { ok: false, failure: { code: "host-bits-set", input, suggestion } };
    }
    return { ok: true, cidr: { version: 4, network, prefix } };
}

function parseIpv6(input: string): CidrParseResult {
    if (!Validator.isValidIPv6CidrNotation(input)[0]) {
        return { ok: false, failure: { code: "not-cidr", input } };
    }
    const range = IPv6CidrRange.fromCidr(input);
    const prefix = Number(range.getPrefix().getValue());
    const [address] = input.split("/");
    const value = IPv6.fromString(address).getValue();
    const network = range.getFirst().getValue();
    const suggestion = cidrToString({ version: 6, network, prefix });
    if (network !== value) {
        return { ok: false, failure: { code: "host-bits-set", input, suggestion } };
    }
    if (suggestion !== input) {
        return { ok: false, failure: { code: "not-canonical", input, suggestion } };
    }
    return { ok: true, cidr: { version: 6, network, prefix } };
}

/** Parses CIDR notation, throwing on bad input. For values already validated. */
export function cidrFromString(input: string): Cidr {
    const parsed = parseCidr(input);
    if (!parsed.ok) {
        throw new KubesliceIpamError("cidr-invalid", `"${input}" is not a canonical CIDR block (${parsed.failure.code})`);
    }
    return parsed.cidr;
}

/** Canonical CIDR notation of a block. */
export function cidrToString(cidr: Cidr): string {
    const address = cidr.version === 4 ? IPv4.fromNumber(cidr.network).toString() : ipv6Text(cidr.network);
    return `${address}/${cidr.prefix}`;
}

/**
 * An IPv6 address as RFC 5952 writes it (https://www.rfc-editor.org/rfc/rfc5952#section-4):
 * lower-case hex without leading zeros, the longest run of two or more zero
 * groups (the first of equal runs) as "::". The same text as ip-num's
 * `collapseIPv6Number` of its full text (tested), from the number directly:
 * that route costs 2.4 times as much, and every allocation writes subnets.
 */
function ipv6Text(value: bigint): string {
    const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
    let bestStart = -1;
    let bestLength = 1;
    for (let start = 0; start < 8;) {
        let end = start;
        while (end < 8 && groups[end] === 0) {
            end++;
        }
        if (end - start > bestLength) {
            bestStart = start;
            bestLength = end - start;
        }
        start = end === start ? start + 1 : end;
    }
    const hex = (part: number[]) => part.map((group) => group.toString(16)).join(":");
    return bestStart === -1 ? hex(groups) : `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** Number of addresses in a block of the given prefix length. */
export function blockSize(version: IpVersion, prefix: number): bigint {
    return 1n << BigInt(addressBits(version) - prefix);
}

/** The last address of a block. */
export function lastAddress(cidr: Cidr): bigint {
    return cidr.network + blockSize(cidr.version, cidr.prefix) - 1n;
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
    return (
        outer.version === inner.version &&
        inner.prefix >= outer.prefix &&
        (inner.network & networkMask(outer.version, outer.prefix)) === outer.network
    );
}

/** True when two blocks share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

function networkMask(version: IpVersion, prefix: number): bigint {
    const bits = BigInt(addressBits(version));
    const all = (1n << bits) - 1n;
    return (all >> BigInt(prefix)) ^ all;
}

/**
 * The IPv4 private-use ranges of RFC 1918 (https://www.rfc-editor.org/rfc/rfc1918).
 * The ip-num range type is used once here so the table reads as CIDR text.
 */
export const PRIVATE_IPV4_RANGES: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

const privateIpv4Blocks: readonly Cidr[] = PRIVATE_IPV4_RANGES.map((text) => {
    const range = IPv4CidrRange.fromCidr(text);
    return { version: 4, network: range.getFirst().getValue(), prefix: Number(range.getPrefix().getValue()) };
});

/** True when an IPv4 block lies inside one RFC 1918 range. */
export function isPrivateIpv4(cidr: Cidr): boolean {
    return privateIpv4Blocks.some((range) => contains(range, cidr));
}

/**
 * IPv6 unique local addresses, RFC 4193 (https://www.rfc-editor.org/rfc/rfc4193):
 * the IPv6 counterpart of RFC 1918, never routed on the Internet.
 */
export const UNIQUE_LOCAL_IPV6_RANGE = "fc00::/7";

const uniqueLocalIpv6Block: Cidr = (() => {
    const range = IPv6CidrRange.fromCidr(UNIQUE_LOCAL_IPV6_RANGE);
    return { version: 6, network: range.getFirst().getValue(), prefix: Number(range.getPrefix().getValue()) };
})();

/** True when an IPv6 block lies inside fc00::/7. */
export function isUniqueLocalIpv6(cidr: Cidr): boolean {
    return contains(uniqueLocalIpv6Block, cidr);
}
