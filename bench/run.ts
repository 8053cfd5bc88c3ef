import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { CostSample, POOL_CASES } from "./allocation-cost";
import { measureHostCreates } from "./host-create";

// The guide's allocator regenerates the whole pool per allocation: at 4,194,304
// subnets one call takes seconds, so it gets few iterations.
const NAIVE_ITERATIONS = [20, 5, 1];
const CORE_ITERATIONS = 2_000;
const HOST_CREATES = 200;

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
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
