/**
 * `npm run bench:engine`: a KubeSliceIpam of N clusters through the real
 * engine against the floor, N no-op dynamic resources, same engine, same N,
 * same run, once with the file store and once with the Kubernetes store on the
 * project's test API server (test/kube-apiserver; BENCH_ENGINE_KUBERNETES=0
 * leaves it out). Each phase runs every stack back to back, so all see the
 * same machine load. N: BENCH_ENGINE_CLUSTERS (default 1000). With
 * BENCH_ENGINE_BEFORE=<commit>, the package as built at that commit runs too,
 * as a "before" column.
 */
import * as os from "node:os";
import * as path from "node:path";
import { buildPackageAt, CURRENT_PACKAGE } from "../../test/support/installed-package";
import { startTestApiServer, TestApiServer } from "../../test/support/kube-apiserver";
import { BenchStack, pulumiBin, REPO, WORK_ROOT } from "./pulumi";
import { providerTextSize, stateBreakdown } from "./state-breakdown";

const N = Number(process.env.BENCH_ENGINE_CLUSTERS ?? 1000);
const BEFORE = process.env.BENCH_ENGINE_BEFORE;
const KUBERNETES = process.env.BENCH_ENGINE_KUBERNETES !== "0";
const PROGRAMS = path.join(REPO, "bench/engine/programs");

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const load = () =>
    `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`;
const changes = (summary: Record<string, number>) =>
    Object.entries(summary)
        .filter(([op]) => op !== "same")
        .map(([op, count]) => `${op} ${count}`)
        .join(", ");

interface Phase {
    readonly what: string;
    /** Rounds, each stack in turn; the median is reported. */
    readonly rounds: number;
    readonly run: (stack: BenchStack, round: number) => Promise<{ ms: number; value: Record<string, number> }>;
}

// The shared machine's load swings within seconds: the repeatable phases run
// several rounds, alternating stacks, and report medians.
const ROUNDS = Number(process.env.BENCH_ENGINE_ROUNDS ?? 3);
// Creating N clusters is one long run whose ratio moved from 0.67x to 1.36x between single runs here.
const UP_ROUNDS = Number(process.env.BENCH_ENGINE_UP_ROUNDS ?? 3);
const PHASES: readonly Phase[] = [
    { what: "pulumi preview (N creates)", rounds: ROUNDS, run: (s) => s.preview() },
    // A round after the first destroys the stack first (not timed): every round creates all N.
    { what: "pulumi up --skip-preview (N creates)", rounds: UP_ROUNDS, run: async (s, round) => (round > 0 && (await s.destroy()), s.up()) },
    { what: "pulumi preview (no changes)", rounds: ROUNDS, run: (s) => s.preview() },
    // Each round adds one new cluster (N+1, N+2, …) to the slice.
    { what: "pulumi up: one cluster more", rounds: ROUNDS, run: async (s, round) => (await s.setClusters(N + 1 + round), s.up()) },
];

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

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
    let server: TestApiServer | undefined;
    if (KUBERNETES) {
        server = await startTestApiServer([path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml")]);
        const stack = await BenchStack.create(bin, path.join(PROGRAMS, "component"), "kubernetes", CURRENT_PACKAGE);
        await stack.useKubernetesStore("kubeslice-bench", server.kubeconfig);
        stacks.push({ name: "Kubernetes store", stack });
        // The same store with the kubeconfig from KUBECONFIG: the store input is { kind, namespace } only, so
        // the state is not three times larger (each resource keeps a secret kubeconfig in inputs and outputs).
        process.env.KUBECONFIG = server.kubeconfigPath;
        const fromEnvironment = await BenchStack.create(bin, path.join(PROGRAMS, "component"), "kubernetes-env", CURRENT_PACKAGE);
        delete process.env.KUBECONFIG;
        await fromEnvironment.useKubernetesStore("kubeslice-bench-env", server.kubeconfig);
        await fromEnvironment.run(["config", "set", "kubeconfigForm", "environment"]);
        stacks.push({ name: "K8s, KUBECONFIG", stack: fromEnvironment });
        console.log(
            "Kubernetes store: the test API server on loopback (apiextensions-apiserver with embedded etcd); " +
                '"Kubernetes store": kubeconfig in the store input, a secret (README); "K8s, KUBECONFIG": from the environment',
        );
    }
    if (BEFORE !== undefined) {
        const built = await buildPackageAt(BEFORE, path.join(WORK_ROOT, `package-${BEFORE.slice(0, 12)}`));
        stacks.push({
            name: `before (${BEFORE.slice(0, 7)})`,
            stack: await BenchStack.create(bin, path.join(PROGRAMS, "component"), "before", built),
        });
    }
    try {
        for (const { stack } of stacks) await stack.setClusters(N);
        const rows: Record<string, string>[] = [];
        const state: number[] = [];
        for (const phase of PHASES) {
            const runs: { ms: number; value: Record<string, number> }[][] = stacks.map(() => []);
            for (let round = 0; round < phase.rounds; round++) {
                for (const [i, { stack }] of stacks.entries()) runs[i].push(await phase.run(stack, round));
            }
            const results = runs.map((r) => ({ ms: median(r.map((x) => x.ms)), value: r[r.length - 1].value }));
            const row: Record<string, string> = { what: phase.rounds > 1 ? `${phase.what}, median of ${phase.rounds}` : phase.what };
            stacks.forEach(({ name }, i) => {
                row[name] = seconds(results[i].ms);
                if (i > 0) row[`${name} / floor`] = ratio(results[i].ms, results[0].ms);
            });
            if (KUBERNETES) {
                row["K8s / file"] = ratio(results[2].ms, results[1].ms);
                row["K8s KUBECONFIG / file"] = ratio(results[3].ms, results[1].ms);
            }
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
        await server?.stop();
    }
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
