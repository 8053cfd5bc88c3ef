import { allocate, Allocation, newLedger, SliceLedger } from "../provider/core/ledger";
import { subnetTextAt } from "../provider/core/pool";
import { poolOf } from "../provider/core/ledger";
import { sliceSpecSchema } from "../provider/core/validation";
import { NaiveAllocator } from "./naive-allocator";

/** One pool size the benchmark compares the allocators on. */
export interface PoolCase {
    readonly label: string;
    readonly sliceSubnet: string;
    readonly subnetSize: number;
    /** Clusters already holding subnets; the measured allocation is the next one (the 4,096th at most). */
    readonly allocated: number;
}

export const POOL_CASES: readonly PoolCase[] = [
    { label: "256 subnets (10.1.0.0/16, /24)", sliceSubnet: "10.1.0.0/16", subnetSize: 24, allocated: 255 },
    { label: "65,536 subnets (10.0.0.0/8, /24)", sliceSubnet: "10.0.0.0/8", subnetSize: 24, allocated: 4_095 },
    { label: "4,194,304 subnets (10.0.0.0/8, /30)", sliceSubnet: "10.0.0.0/8", subnetSize: 30, allocated: 4_095 },
];

/**
 * The IPv6 case of the family comparison: a /32 of /64s, 2^32 subnets, with as
 * many clusters as the IPv4 /16 of /24s (POOL_CASES[0]) holds. First-fit costs
 * what the allocations cost, never the pool, so the two should match.
 */
export const IPV6_CASE: PoolCase = { label: "4,294,967,296 subnets (fd00::/32, /64)", sliceSubnet: "fd00::/32", subnetSize: 64, allocated: 255 };

/** Every case a child process can measure, by index: the pool cases, then the IPv6 one. */
export const MEASURED_CASES: readonly PoolCase[] = [...POOL_CASES, IPV6_CASE];

export interface CostSample {
    readonly medianMs: number;
    readonly iterations: number;
    /** Peak resident memory of the measuring process. */
    readonly maxRssMiB: number;
}

/**
 * Time to allocate the next cluster in a slice already holding
 * `allocated` clusters. Runs in its own process (see run.ts) so that peak
 * memory belongs to one allocator and one pool.
 */
export function measure(kind: "core" | "naive", poolCase: PoolCase, iterations: number): CostSample {
    const timings: number[] = [];
    if (kind === "core") {
        const ledger = ledgerWith(poolCase);
        const now = new Date();
        for (let i = 0; i < iterations; i++) {
            const started = process.hrtime.bigint();
            const result = allocate(ledger, "joining-cluster", now);
            timings.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (!result.ok) {
                throw new Error(result.issue.message);
            }
        }
    } else {
        for (let i = 0; i < iterations; i++) {
            const allocator = naiveWith(poolCase);
            const started = process.hrtime.bigint();
            const subnet = allocator.allocate("joining-cluster", Date.now());
            timings.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (subnet === undefined) {
                throw new Error("naive allocator found no subnet");
            }
        }
    }
    timings.sort((a, b) => a - b);
    return {
        medianMs: timings[Math.floor(timings.length / 2)],
        iterations,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
}

function ledgerWith(poolCase: PoolCase): SliceLedger {
    const spec = sliceSpecSchema.parse({ sliceName: "bench", sliceSubnet: poolCase.sliceSubnet, subnetSize: poolCase.subnetSize });
    const pool = poolOf(spec);
    const allocatedAt = new Date().toISOString();
    const allocations: Allocation[] = Array.from({ length: poolCase.allocated }, (_, index) => ({
        clusterName: `cluster-${index}`,
        subnet: subnetTextAt(pool, index),
        index,
        status: "Allocated",
        allocatedAt,
    }));
    return { ...newLedger(spec, new Date()), allocations };
}

function naiveWith(poolCase: PoolCase): NaiveAllocator {
    const allocator = new NaiveAllocator(poolCase.sliceSubnet, poolCase.subnetSize, 86_400_000, 4_096);
    const pool = poolOf({ sliceSubnet: poolCase.sliceSubnet, subnetSize: poolCase.subnetSize });
    for (let index = 0; index < poolCase.allocated; index++) {
        allocator.entries.set(`cluster-${index}`, { subnet: subnetTextAt(pool, index), status: "Allocated" });
    }
    return allocator;
}

// Child-process entry: node allocation-cost.js <core|naive> <case index> <iterations>
if (require.main === module) {
    const [kind, caseIndex, iterations] = process.argv.slice(2);
    const sample = measure(kind as "core" | "naive", MEASURED_CASES[Number(caseIndex)], Number(iterations));
    process.stdout.write(JSON.stringify(sample));
}
