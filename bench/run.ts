import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { CostSample, IPV6_CASE, MEASURED_CASES, POOL_CASES } from "./allocation-cost";
import { measureHostCreates } from "./host-create";
import { measureContention, measureCreateCost, withBenchApiServer } from "./kubernetes-store";

// The guide's allocator regenerates the whole pool per allocation: at 4,194,304
// subnets one call takes seconds, so it gets few iterations.
const NAIVE_ITERATIONS = [20, 5, 1];
const CORE_ITERATIONS = 2_000;
/** The family comparison alternates its two measurements this many times and keeps each one's median: the cores are shared. */
const FAMILY_ROUNDS = 5;
const FAMILY_RATIO_GOAL = 1.5;
const HOST_CREATES = 200;
const KUBERNETES_CREATES = Number(process.env.BENCH_KUBERNETES_CREATES ?? 41);
const CONTENTION = { processes: 8, perProcess: 64 };

function sample(kind: "core" | "naive", caseIndex: number, iterations: number): CostSample {
    const script = path.join(__dirname, "allocation-cost.js");
    const output = execFileSync(process.execPath, [script, kind, String(caseIndex), String(iterations)], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
    });
    return JSON.parse(output) as CostSample;
}

const format = (value: number, digits = 3) => value.toFixed(digits);

async function main(): Promise<void> {
    console.log("Allocation of the next cluster (median per call; each measurement in its own process)");
    console.log("baseline = the guide's allocator: generate every subnet, scan for the first unallocated\n");
    const rows = POOL_CASES.map((poolCase, index) => {
        const core = sample("core", index, CORE_ITERATIONS);
        const naive = sample("naive", index, NAIVE_ITERATIONS[index]);
        return {
            pool: poolCase.label,
            allocated: poolCase.allocated,
            "baseline ms": format(naive.medianMs),
            "core ms": format(core.medianMs, 4),
            speedup: `${Math.round(naive.medianMs / core.medianMs).toLocaleString("en-US")}x`,
            "baseline peak MiB": format(naive.maxRssMiB, 1),
            "core peak MiB": format(core.maxRssMiB, 1),
        };
    });
    console.table(rows);

    console.log(`\nIPv6 against IPv4: first-fit in a /32 of /64s (2^32 subnets) vs a /16 of /24s, ${IPV6_CASE.allocated} clusters held in each`);
    const ipv4Index = 0;
    const ipv6Index = MEASURED_CASES.indexOf(IPV6_CASE);
    const v4: number[] = [];
    const v6: number[] = [];
    for (let round = 0; round < FAMILY_ROUNDS; round++) {
        v4.push(sample("core", ipv4Index, CORE_ITERATIONS).medianMs);
        v6.push(sample("core", ipv6Index, CORE_ITERATIONS).medianMs);
    }
    const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const familyRatio = middle(v6) / middle(v4);
    console.table([
        { pool: POOL_CASES[ipv4Index].label, "core ms": format(middle(v4), 4) },
        { pool: IPV6_CASE.label, "core ms": format(middle(v6), 4) },
    ]);
    console.log(
        `per-allocation cost ratio, IPv6 /32 of /64s / IPv4 /16 of /24s: ${format(familyRatio, 2)} ` +
            `(goal <= ${FAMILY_RATIO_GOAL}: ${familyRatio <= FAMILY_RATIO_GOAL ? "met" : "MISSED"})`,
    );

    console.log(`\nSubnetAllocation create through Pulumi's dynamic-provider host (${HOST_CREATES} sequential, file store)`);
    const host = await measureHostCreates(HOST_CREATES);
    console.table([
        {
            "median ms": format(host.medianMs),
            "p95 ms": format(host.p95Ms),
            "in-process median ms": format(host.directMedianMs),
            "host overhead": `${format(host.medianMs / host.directMedianMs, 1)}x`,
            goal: host.medianMs <= 5 ? "met (<= 5 ms)" : "MISSED (> 5 ms)",
        },
    ]);

    console.log(
        `\nKubernetes store against the real API server (apiextensions-apiserver + etcd): ` +
            `SubnetAllocation create in-process, a fresh store per call, ${KUBERNETES_CREATES} sequential, 63-character cluster names`,
    );
    await withBenchApiServer(async (server) => {
        const cost = await measureCreateCost(server, KUBERNETES_CREATES);
        console.table(cost.cost.map((row) => ({ entries: row.entries, "median ms": format(row.medianMs, 1), "p95 ms": format(row.p95Ms, 1) })));
        const ratio = cost.cost[1].medianMs / cost.cost[0].medianMs;
        console.log(`cost ratio, median at 4,096 entries / at 1: ${format(ratio, 2)} (goal <= 2: ${ratio <= 2 ? "met" : "MISSED"})`);
        console.log(`first load of the 4,096-entry slice by a new process (empty shard cache): ${format(cost.coldLoadMs, 1)} ms`);

        const total = CONTENTION.processes * CONTENTION.perProcess;
        console.log(`\n${CONTENTION.processes} processes x ${CONTENTION.perProcess} allocations at once on one slice (${total})`);
        const race = await measureContention(server, CONTENTION.processes, CONTENTION.perProcess);
        console.table([
            {
                allocator: "this store (group commit, backoff, shards)",
                ms: format(race.contention.ms, 0),
                duplicates: race.contention.duplicates,
                "per allocation": `${format(race.contention.conflictsPerAllocation, 2)} lost races`,
            },
            {
                allocator: "baseline: one at a time per process, read-modify-write, immediate retry on 409",
                ms: format(race.baseline.ms, 0),
                duplicates: race.baseline.duplicates,
                "per allocation": `${format(race.baseline.writesPerAllocation, 2)} writes`,
            },
        ]);
        const speedup = race.baseline.ms / race.contention.ms;
        console.log(`contention ratio, baseline / this store: ${format(speedup, 1)}x (goal >= 10x: ${speedup >= 10 ? "met" : "MISSED"})`);
    });
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
