/**
 * `npm run bench:engine`: a KubeSliceIpam of N clusters through the real
 * engine against the floor, N no-op dynamic resources, same engine, same N,
 * same run. Each phase runs every stack back to back, so all see the same
 * machine load. N: BENCH_ENGINE_CLUSTERS (default 1000). With
 * BENCH_ENGINE_BEFORE=<commit>, the package as built at that commit runs too,
 * as a "before" column.
 */
import * as os from "node:os";
import * as path from "node:path";
import { buildPackageAt, CURRENT_PACKAGE } from "../../test/support/installed-package";
import { BenchStack, pulumiBin, REPO, WORK_ROOT } from "./pulumi";
import { providerTextSize, stateBreakdown } from "./state-breakdown";

const N = Number(process.env.BENCH_ENGINE_CLUSTERS ?? 1000);
const BEFORE = process.env.BENCH_ENGINE_BEFORE;
const PROGRAMS = path.join(REPO, "bench/engine/programs");

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const load = () => `load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`;
const changes = (summary: Record<string, number>) =>
    Object.entries(summary)
        .filter(([op]) => op !== "same")
        .map(([op, count]) => `${op} ${count}`)
        .join(", ");

interface Phase {
    readonly what: string;
    readonly run: (stack: BenchStack) => Promise<{ ms: number; value: Record<string, number> }>;
}

const PHASES: readonly Phase[] = [
    { what: "pulumi preview (N creates)", run: (s) => s.preview() },
    { what: "pulumi up --skip-preview (N creates)", run: (s) => s.up() },
    { what: "pulumi preview (no changes)", run: (s) => s.preview() },
    { what: "pulumi up: one cluster more", run: async (s) => (await s.setClusters(N + 1), s.up()) },
];

async function main(): Promise<void> {
    const bin = pulumiBin();
    console.log(`${new Date().toISOString()}  ${load()}  (${os.cpus().length} cores)`);
    console.log(`engine: ${bin}`);
    console.log(
        `N = ${N}: KubeSliceIpam with N clusters (file store, no manifests directory) vs floor = N no-op dynamic ` +
            `resources: pulumi.dynamic.Resource with a one-method provider (create returns its inputs), each with a ` +
            `SubnetAllocation's properties (the five inputs the component sends, the five outputs declared)\n`,
    );
    const stacks: { name: string; stack: BenchStack }[] = [
        { name: "floor", stack: await BenchStack.create(bin, path.join(PROGRAMS, "floor"), "floor") },
        { name: "KubeSliceIpam", stack: await BenchStack.create(bin, path.join(PROGRAMS, "component"), "component", CURRENT_PACKAGE) },
    ];
    if (BEFORE !== undefined) {
        const built = await buildPackageAt(BEFORE, path.join(WORK_ROOT, `package-${BEFORE.slice(0, 12)}`));
        stacks.push({ name: `before (${BEFORE.slice(0, 7)})`, stack: await BenchStack.create(bin, path.join(PROGRAMS, "component"), "before", built) });
    }
    try {
        for (const { stack } of stacks) await stack.setClusters(N);
        const rows: Record<string, string>[] = [];
        const state: number[] = [];
        for (const phase of PHASES) {
            const results: { ms: number; value: Record<string, number> }[] = [];
            for (const { stack } of stacks) results.push(await phase.run(stack));
            const row: Record<string, string> = { what: phase.what };
            stacks.forEach(({ name }, i) => {
                row[name] = seconds(results[i].ms);
                if (i > 0) row[`${name} / floor`] = ratio(results[i].ms, results[0].ms);
            });
            row["KubeSliceIpam changes"] = changes(results[1].value);
            rows.push(row);
            if (phase === PHASES[1]) {
                for (const { stack } of stacks) state.push(await stack.stateBytes());
            }
        }
        const exports = [];
        for (const { stack } of stacks) exports.push(await stack.exportState());
        const providerSizes = exports.map(providerTextSize);
        console.table(rows);
        console.table(stacks.map(({ name }, i) => ({ stack: name, "state bytes": state[i], "bytes per cluster": Math.round(state[i] / N) })));
        console.log(`\nserialized provider per resource: ${stacks.map(({ name }, i) => `${name} ${providerSizes[i]} B`).join(", ")}`);
        console.log("KubeSliceIpam state by part, at the end (bytes per cluster, parts of 20 B or more):");
        console.table(stateBreakdown(exports[1], N));
        console.log(`${new Date().toISOString()}  ${load()}`);
    } finally {
        for (const { stack } of stacks) await stack.remove();
    }
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
