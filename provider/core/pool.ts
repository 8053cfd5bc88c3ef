import { blockSize, Cidr, cidrToString, contains, parseCidr } from "./cidr";

/**
 * The address space of one slice: the parent block and the prefix length of
 * each per-cluster subnet. Subnet *i* is the *i*-th block in address order.
 * Nothing here enumerates the pool: every question is answered arithmetically,
 * so a /8 of /30s (4,194,304 subnets) costs what a /16 of /24s does.
 */
export interface Pool {
    readonly sliceSubnet: Cidr;
    readonly subnetSize: number;
}

/** `2^(subnetSize − prefix)`: how many subnets the pool holds. */
export function totalSubnets(pool: Pool): number {
    return Number(1n << BigInt(pool.subnetSize - pool.sliceSubnet.prefix));
}

/** The subnet at `index`, or `undefined` past the end of the pool. */
export function subnetAt(pool: Pool, index: number): Cidr | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= totalSubnets(pool)) {
        return undefined;
    }
    const step = blockSize(pool.sliceSubnet.version, pool.subnetSize);
    return {
        version: pool.sliceSubnet.version,
        network: pool.sliceSubnet.network + BigInt(index) * step,
        prefix: pool.subnetSize,
    };
}

/** Canonical text of the subnet at `index`; throws past the end (a caller bug). */
export function subnetTextAt(pool: Pool, index: number): string {
    const subnet = subnetAt(pool, index);
    if (subnet === undefined) {
        throw new RangeError(`index ${index} is outside a pool of ${totalSubnets(pool)} subnets`);
    }
    return cidrToString(subnet);
}

/** Why a subnet is not a block of a pool. */
export type SubnetIndexFailure = "not-cidr" | "outside-pool" | "wrong-size";

export type SubnetIndexResult = { readonly ok: true; readonly index: number } | { readonly ok: false; readonly code: SubnetIndexFailure };

/**
 * Where a subnet (given as text) sits in the pool. Used to adopt pinned or
 * previously recorded subnets: they must be canonical blocks of exactly
 * `subnetSize` inside the slice subnet.
 */
export function indexOfSubnet(pool: Pool, subnet: string): SubnetIndexResult {
    const parsed = parseCidr(subnet);
    if (!parsed.ok) {
        return { ok: false, code: "not-cidr" };
    }
    if (!contains(pool.sliceSubnet, parsed.cidr)) {
        return { ok: false, code: "outside-pool" };
    }
    if (parsed.cidr.prefix !== pool.subnetSize) {
        return { ok: false, code: "wrong-size" };
    }
    const step = blockSize(pool.sliceSubnet.version, pool.subnetSize);
    return { ok: true, index: Number((parsed.cidr.network - pool.sliceSubnet.network) / step) };
}
