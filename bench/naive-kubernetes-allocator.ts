import { spawn } from "node:child_process";
import type * as k8s from "@kubernetes/client-node";
import { poolOf } from "../provider/core/ledger";
import { subnetTextAt } from "../provider/core/pool";

/**
 * The contention baseline: what a straightforward Kubernetes allocator does.
 * Each process allocates its clusters one after another; each allocation
 * reads the SliceIpam, takes the first free subnet, writes status with the
 * resourceVersion it read, and on 409 tries again at once: no batching, no
 * backoff, the whole list in one object.
 */
const GROUP = { group: "controller.kubeslice.io", version: "v1alpha1", plural: "sliceipams" };

interface Entry {
    clusterName: string;
    subnet: string;
    allocatedAt: string;
    status: string;
}

async function allocateOne(api: k8s.CustomObjectsApi, namespace: string, name: string, cluster: string, writes: { count: number }): Promise<string> {
    const pool = poolOf({ sliceSubnet: "10.0.0.0/8", subnetSize: 24 });
    for (;;) {
        const object = (await api.getNamespacedCustomObject({ ...GROUP, namespace, name })) as {
            metadata: { resourceVersion: string };
            status?: { allocatedSubnets?: Entry[] };
        };
        const entries = object.status?.allocatedSubnets ?? [];
        const mine = entries.find((entry) => entry.clusterName === cluster);
        if (mine !== undefined) {
            return mine.subnet;
        }
        const used = new Set(entries.map((entry) => entry.subnet));
        let index = 0;
        while (used.has(subnetTextAt(pool, index))) {
            index++;
        }
        const subnet = subnetTextAt(pool, index);
        const status = {
            allocatedSubnets: [...entries, { clusterName: cluster, subnet, allocatedAt: new Date().toISOString(), status: "Allocated" }],
            availableSubnets: 65_536 - entries.length - 1,
            totalSubnets: 65_536,
        };
        writes.count++;
        try {
            await api.replaceNamespacedCustomObjectStatus({ ...GROUP, namespace, name, body: { ...object, status } });
            return subnet;
        } catch (error) {
            if ((error as { code?: number }).code !== 409) {
                throw error;
            }
        }
    }
}

export interface NaiveRun {
    readonly ms: number;
    readonly subnets: string[];
    readonly writes: number;
}

/** Runs `processes` OS processes of `count` naive allocations each against one SliceIpam; started together. */
export async function naiveFromProcesses(kubeconfig: string, namespace: string, name: string, processes: number, count: number): Promise<NaiveRun> {
    const children = Array.from({ length: processes }, (_, p) =>
        spawn(process.execPath, [__filename, namespace, name, `n${p}`, String(count)], {
            stdio: ["pipe", "pipe", "pipe"],
            env: { ...process.env, BENCH_KUBECONFIG: kubeconfig },
        }),
    );
    const outputs = children.map(
        (child) =>
            new Promise<string>((resolve, reject) => {
                let stdout = "";
                let stderr = "";
                child.stdout!.on("data", (chunk) => (stdout += chunk));
                child.stderr!.on("data", (chunk) => (stderr += chunk));
                child.on("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`naive worker failed: ${stderr}`))));
            }),
    );
    await Promise.all(children.map((child) => new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()))));
    const started = performance.now();
    children.forEach((child) => child.stdin!.write("go\n"));
    const results = (await Promise.all(outputs)).map((out) => JSON.parse(out.split("\n")[1]) as { subnets: string[]; writes: number });
    return {
        ms: performance.now() - started,
        subnets: results.flatMap((r) => r.subnets),
        writes: results.reduce((sum, r) => sum + r.writes, 0),
    };
}

// Child-process entry: node naive-kubernetes-allocator.js <namespace> <slice> <prefix> <count>
if (require.main === module) {
    const [namespace, name, prefix, count] = process.argv.slice(2);
    const client = require("@kubernetes/client-node") as typeof k8s;
    const config = new client.KubeConfig();
    config.loadFromString(process.env.BENCH_KUBECONFIG!);
    const api = config.makeApiClient(client.CustomObjectsApi);
    process.stdout.write("ready\n");
    process.stdin.once("data", () => void run());
    async function run(): Promise<void> {
        const writes = { count: 0 };
        const clusters = Array.from({ length: Number(count) }, (_, i) => `${prefix}-${i}`);
        const subnets: string[] = [];
        for (const cluster of clusters) {
            subnets.push(await allocateOne(api, namespace, name, cluster, writes));
        }
        process.stdout.write(JSON.stringify({ subnets, writes: writes.count }) + "\n");
        process.exit(0);
    }
}
