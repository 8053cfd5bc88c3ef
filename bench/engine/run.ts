/**
 * `npm run bench:engine`: a KubeSliceIpam of N clusters through the real
 * engine against the floor, N no-op dynamic resources, same engine, same N,
 * same run. Each phase runs the floor and then the component back to back,
 * so both see the same machine load. N: BENCH_ENGINE_CLUSTERS (default 1000).
 */
import * as os from "node:os";
import * as path from "node:path";
import { BenchStack, pulumiBin, REPO } from "./pulumi";
import { stateBreakdown } from "./state-breakdown";

const N = Number(process.env.BENCH_ENGINE_CLUSTERS ?? 1000);
const PROGRAMS = path.join(REPO, "bench/engine/programs");

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const changes = (summary: Record<string, number>) =>
    Object.entries(summary)
        .filter(([op]) => op !== "same")
        .map(([op, count]) => `${op} ${count}`)
        .join(", ");

async function main(): Promise<void> {
    const bin = pulumiBin();
    console.log(`${new Date().toISOString()}  load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}  (${os.cpus().length} cores)`);
    console.log(`engine: ${bin}`);
    console.log(`N = ${N}: KubeSliceIpam with N clusters (no manifests directory) vs floor = N no-op dynamic resources\n`);

    const floor = await BenchStack.create(bin, path.join(PROGRAMS, "floor"), "floor");
    const component = await BenchStack.create(bin, path.join(PROGRAMS, "component"), "component");
    const both = [floor, component] as const;
    try {
        for (const stack of both) await stack.setClusters(N);

        const preview = [];
        for (const stack of both) preview.push(await stack.preview());
        const up = [];
        for (const stack of both) up.push(await stack.up());
        const state = [];
        for (const stack of both) state.push(await stack.stateBytes());
        const unchanged = [];
        for (const stack of both) unchanged.push(await stack.preview());

        for (const stack of both) await stack.setClusters(N + 1);
        const addOne = [];
        for (const stack of both) addOne.push(await stack.up());

        const rows = [
            ["pulumi preview (N creates)", preview],
            ["pulumi up --skip-preview (N creates)", up],
            ["pulumi preview (no changes)", unchanged],
            ["pulumi up: one cluster more", addOne],
        ] as const;
        console.table(
            rows.map(([what, [f, c]]) => ({
                what,
                floor: seconds(f.ms),
                KubeSliceIpam: seconds(c.ms),
                ratio: ratio(c.ms, f.ms),
                "KubeSliceIpam changes": changes(c.value),
            })),
        );
        console.table([
            { stack: "floor", "state bytes": state[0], "bytes per cluster": Math.round(state[0] / N) },
            { stack: "KubeSliceIpam", "state bytes": state[1], "bytes per cluster": Math.round(state[1] / N) },
        ]);
        console.log("\nKubeSliceIpam state by part (bytes per cluster):");
        console.table(stateBreakdown(await component.exportState(), N));
        console.log(`${new Date().toISOString()}  load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    } finally {
        for (const stack of both) await stack.remove();
    }
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
