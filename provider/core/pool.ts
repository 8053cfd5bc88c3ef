import { blockSize, Cidr, cidrToString, contains, parseCidr } from "./cidr";

/**
 * The address space of one slice: the parent block and the prefix length of
 * each per-cluster subnet. Subnet *i* is the *i*-th block in address order.
 * Nothing here enumerates the pool: every question is answered arithmetically,
 * so a /8 of /30s (4,194,304 subnets) or a /32 of IPv6 /64s (2^32) costs what
 * a /16 of /24s does.
 */
export interface Pool {
    readonly sliceSubnet: Cidr;
    readonly subnetSize: number;
}

/**
 * How many subnets of a pool can be handed out: 2^53. Subnet indexes are
 * stored and output as JSON numbers (ledgers, shards, `index` outputs,
 * WorkerSliceConfig `octet`), which stay exact only up to
 * `Number.MAX_SAFE_INTEGER`. Only an IPv6 pool can be larger (a /8 of /64s
 * has 2^56 subnets); its subnets past the first 2^53 count in its size but
 * are never allocated, pinned or planned. With at most 4,096 active clusters
 * per slice, first-fit never comes near.
 */
export const INDEXABLE_SUBNETS = 2 ** 53;

/** `2^(subnetSize − prefix)`, exactly: how many subnets the pool holds. */
export function poolSize(pool: Pool): bigint {
    return 1n << BigInt(pool.subnetSize - pool.sliceSubnet.prefix);
}

/**
 * {@link poolSize} as a number. A power of two, so the value is exact even
 * past 2^53; only JavaScript's shortest decimal rendering of it is not (use
 * {@link exactCount} or {@link poolSize} for text).
 */
export function totalSubnets(pool: Pool): number {
    return Number(poolSize(pool));
}

/** Subnets indexes can address: the whole pool, or its first {@link INDEXABLE_SUBNETS}. */
export function indexableSubnets(pool: Pool): number {
    const size = poolSize(pool);
    return size < BigInt(INDEXABLE_SUBNETS) ? Number(size) : INDEXABLE_SUBNETS;
}

/** The exact decimal text of a whole count held as a number (e.g. a pool size, a power of two). */
export function exactCount(count: number | bigint): string {
    return BigInt(count).toString();
}

/**
 * A count for JSON output where its type is already a number: the number
 * while it is a safe integer, else its exact decimal text (only an IPv6
 * pool's size or reserved count gets there).
 */
export function jsonCount(count: number | bigint): number | string {
    const exact = BigInt(count);
    return exact <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(exact) : exact.toString();
}

/**
 * `{ [name]: text }` when `count` passes 2^53, else nothing: for JSON views
 * that keep a number and add the exact figure beside it only where the number
 * is not exact.
 */
export function exactBeyondSafe<K extends string>(name: K, count: bigint): Partial<Record<K, string>> {
    const value = jsonCount(count);
    return typeof value === "string" ? ({ [name]: value } as Record<K, string>) : {};
}

/** The subnet at `index`, or `undefined` past the end of the pool's indexable subnets. */
export function subnetAt(pool: Pool, index: number): Cidr | undefined {
    if (!Number.isSafeInteger(index) || index < 0 || index >= indexableSubnets(pool)) {
        return undefined;
    }
    return blockAt(pool, BigInt(index));
}

/** The `offset`-th block of the pool's subnet size, in address order (no bounds check). */
function blockAt(pool: Pool, offset: bigint): Cidr {
    const step = blockSize(pool.sliceSubnet.version, pool.subnetSize);
    return { version: pool.sliceSubnet.version, network: pool.sliceSubnet.network + offset * step, prefix: pool.subnetSize };
}

/**
 * Canonical text of the subnet at any position of the pool, indexable or not
 * (a map cell of a /8 of /64s starts past 2^53); throws past the end.
 */
export function subnetTextAtOffset(pool: Pool, offset: bigint): string {
    if (offset < 0n || offset >= poolSize(pool)) {
        throw new RangeError(`position ${offset} is outside a pool of ${poolSize(pool)} subnets`);
    }
    return cidrToString(blockAt(pool, offset));
}

/** Canonical text of the subnet at `index`; throws past the end (a caller bug). */
export function subnetTextAt(pool: Pool, index: number): string {
    const subnet = subnetAt(pool, index);
    if (subnet === undefined) {
        throw new RangeError(`index ${index} is outside a pool of ${indexableSubnets(pool)} indexable subnets`);
    }
    return cidrToString(subnet);
}

/** Why a subnet is not a block of a pool that can be handed out. */
export type SubnetIndexFailure = "not-cidr" | "outside-pool" | "wrong-size" | "beyond-indexes";

export type SubnetIndexResult = { readonly ok: true; readonly index: number } | { readonly ok: false; readonly code: SubnetIndexFailure };

/**
 * Where a subnet (given as text) sits in the pool. Used to adopt pinned or
 * previously recorded subnets: they must be canonical blocks of exactly
 * `subnetSize` inside the slice subnet, among its indexable subnets.
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
    const offset = (parsed.cidr.network - pool.sliceSubnet.network) / step;
    if (offset >= BigInt(INDEXABLE_SUBNETS)) {
        return { ok: false, code: "beyond-indexes" };
    }
    return { ok: true, index: Number(offset) };
}

/** The first subnet an index cannot address, for messages: undefined when the whole pool is indexable. */
export function firstUnindexableSubnet(pool: Pool): string | undefined {
    if (poolSize(pool) <= BigInt(INDEXABLE_SUBNETS)) {
        return undefined;
    }
    const step = blockSize(pool.sliceSubnet.version, pool.subnetSize);
    return cidrToString({ ...pool.sliceSubnet, network: pool.sliceSubnet.network + BigInt(INDEXABLE_SUBNETS) * step, prefix: pool.subnetSize });
}
