/**
 * The usage signal against a real API server: WorkerSliceConfigs from the
 * vendored KubeSlice CRD, their status written through the status subresource
 * as the worker operator writes it, read by the Kubernetes store's usage
 * source and recorded through the store's compare-and-swap.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { workerSliceConfig } from "../../components/worker-slice-config";
import { findAllocation } from "../../provider/core/ledger";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { recordUsage, syncUsage } from "../../provider/service/usage";
import { settledStoreWork } from "../../provider/store/exit-hold";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { usageSourceOf } from "../../provider/store/store-spec";
import { UsageNotObservableError, UsageSource, WORKER_SLICE_CONFIG_RESOURCE } from "../../provider/store/worker-slice-usage";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { findRepoRoot, HostedIpam, startHostedIpam } from "../support/provider-host";

const REPO = findRepoRoot(__dirname);
const CRD = path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml");
const WORKER_CRD = path.join(REPO, "test/fixtures/kubeslice-crds/pr-284-dynamic-ipam/worker.kubeslice.io_workersliceconfigs.yaml");
const RBAC = readFileSync(path.join(REPO, "deploy/kubernetes/rbac.yaml"), "utf8");

let server: TestApiServer;
beforeAll(async () => {
    server = await startTestApiServer([CRD, WORKER_CRD]);
}, 1_200_000);
afterAll(async () => {
    await server?.stop();
});

const freshNamespace = () => `ns-${randomBytes(4).toString("hex")}`;
const storeIn = (namespace: string, kubeconfig = server.kubeconfig) => new KubernetesLedgerStore({ namespace, kubeconfig });
const sourceOf = (store: KubernetesLedgerStore): UsageSource => usageSourceOf(store)!;
const objects = () => server.config.makeApiClient(server.client.CustomObjectsApi);
const pod = (name: string, i = 1) => ({
    podName: name,
    podNamespace: "shop",
    podIp: `10.244.0.${i}`,
    nsmInterface: "nsm0",
    nsmIp: `10.2.0.${i + 10}`,
    nsmPeerIp: "10.2.0.1",
});

/** A slice registered in a fresh namespace, with these clusters allocated and their WorkerSliceConfigs applied. */
async function sliceWith(clusters: readonly string[]) {
    const namespace = freshNamespace();
    const store = storeIn(namespace);
    await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
    for (const clusterName of clusters) {
        const { allocation } = await allocateSubnet(store, "blue", clusterName);
        await applyWorkerSliceConfig(namespace, clusterName, allocation.subnet, allocation.index);
    }
    return { namespace, store };
}

async function applyWorkerSliceConfig(namespace: string, clusterName: string, subnet: string, index: number, sliceName = "blue") {
    const body = workerSliceConfig({ sliceName, namespace, sliceSubnet: "10.2.0.0/16", clusterName, subnet, index });
    await objects().createNamespacedCustomObject({ ...WORKER_SLICE_CONFIG_RESOURCE, namespace, body });
}

/** What the worker operator does: write status through the status subresource, over the object it read. */
async function reportPods(namespace: string, name: string, connectedAppPods: unknown[]) {
    const current = (await objects().getNamespacedCustomObject({ ...WORKER_SLICE_CONFIG_RESOURCE, namespace, name })) as any;
    await objects().replaceNamespacedCustomObjectStatus({
        ...WORKER_SLICE_CONFIG_RESOURCE,
        namespace,
        name,
        body: { ...current, status: { ...current.status, connectedAppPods, onboardedAppNamespaces: [{ name: "shop" }] } },
    });
}

async function statusOf(store: KubernetesLedgerStore, clusterName: string) {
    return findAllocation((await store.load("blue"))!.ledger, clusterName)?.status;
}

describe("usage from WorkerSliceConfig status", () => {
    it("moves Allocated → InUse once the worker reports a connected pod, and an empty pod list does not move it back", async () => {
        const { namespace, store } = await sliceWith(["worker-1", "worker-2"]);
        const before = await syncUsage(store, sourceOf(store), "blue");
        expect(before.clusters.map((c) => [c.clusterName, c.outcome, c.connectedPods])).toEqual([
            ["worker-1", "no-connected-pods", 0],
            ["worker-2", "no-connected-pods", 0],
        ]);

        await reportPods(namespace, "blue-worker-1", [pod("cart-0", 1), pod("cart-1", 2)]);
        const dryRun = await syncUsage(store, sourceOf(store), "blue", { dryRun: true });
        expect(dryRun.clusters[0]).toMatchObject({ clusterName: "worker-1", outcome: "marked-in-use", connectedPods: 2 });
        expect(await statusOf(store, "worker-1")).toBe("Allocated"); // a dry run writes nothing

        const synced = await syncUsage(store, sourceOf(store), "blue");
        expect(synced.clusters.map((c) => [c.clusterName, c.outcome, c.status, c.connectedPods])).toEqual([
            ["worker-1", "marked-in-use", "InUse", 2],
            ["worker-2", "no-connected-pods", "Allocated", 0],
        ]);
        expect(await statusOf(store, "worker-1")).toBe("InUse");
        // The KubeSlice-facing projection says so too, once written (after the burst's callers have their results).
        await settledStoreWork();
        const head = (await objects().getNamespacedCustomObject({
            group: "controller.kubeslice.io",
            version: "v1alpha1",
            plural: "sliceipams",
            namespace,
            name: "blue",
        })) as any;
        expect(head.status.allocatedSubnets.find((e: any) => e.clusterName === "worker-1").status).toBe("InUse");

        await reportPods(namespace, "blue-worker-1", []);
        const after = await syncUsage(store, sourceOf(store), "blue");
        expect(after.clusters[0]).toMatchObject({ outcome: "in-use", status: "InUse", connectedPods: 0 });
        expect(await statusOf(store, "worker-1")).toBe("InUse");
    });

    it("releases an InUse cluster like an Allocated one, and the cluster comes back Allocated", async () => {
        const { namespace, store } = await sliceWith(["worker-1"]);
        await reportPods(namespace, "blue-worker-1", [pod("cart-0")]);
        await syncUsage(store, sourceOf(store), "blue");
        const released = await releaseSubnet(store, "blue", "worker-1");
        expect(released).toMatchObject({ changed: true, previousStatus: "InUse", allocation: { status: "Released", subnet: "10.2.0.0/24" } });
        // Released clusters are not synced, whatever their WorkerSliceConfig says.
        const synced = await syncUsage(store, sourceOf(store), "blue", { clusters: ["worker-1"] });
        expect(synced.clusters[0]).toMatchObject({ outcome: "released", status: "Released", connectedPods: 1 });
        const back = await allocateSubnet(store, "blue", "worker-1");
        expect(back).toMatchObject({ outcome: "reused", allocation: { subnet: "10.2.0.0/24", status: "Allocated" } });
    });

    it("reports a cluster without a WorkerSliceConfig, and one whose name belongs to another slice, as not found", async () => {
        const { namespace, store } = await sliceWith(["worker-1"]);
        await allocateSubnet(store, "blue", "east");
        // Named as cluster "east"'s would be, but its spec names another slice (`<slice>-<cluster>` names can collide).
        const manifest = workerSliceConfig({
            sliceName: "other",
            namespace,
            sliceSubnet: "10.2.0.0/16",
            clusterName: "x",
            subnet: "10.2.1.0/24",
            index: 1,
        });
        const body = { ...manifest, metadata: { ...manifest.metadata, name: "blue-east" } };
        await objects().createNamespacedCustomObject({ ...WORKER_SLICE_CONFIG_RESOURCE, namespace, body });
        await reportPods(namespace, "blue-east", [pod("intruder")]);
        const synced = await syncUsage(store, sourceOf(store), "blue");
        expect(synced.clusters.map((c) => [c.clusterName, c.outcome, c.workerSliceConfig])).toEqual([
            ["worker-1", "no-connected-pods", "blue-worker-1"],
            ["east", "no-worker-slice-config", "blue-east"],
        ]);
        const single = await syncUsage(store, sourceOf(store), "blue", { clusters: ["worker-9"] });
        expect(single.clusters[0]).toMatchObject({ outcome: "no-allocation", workerSliceConfig: "blue-worker-9" });
        expect(single.clusters[0].connectedPods).toBeUndefined();
    });

    it("counts only entries that name a pod, once each, and says which were not counted", async () => {
        const { namespace, store } = await sliceWith(["worker-1", "worker-2"]);
        // All of these pass the CRD's schema (every field optional): the server stores them as the worker wrote them.
        await reportPods(namespace, "blue-worker-1", [{}, { podIp: "10.244.0.9" }, { podName: "" }, pod("cart-0"), pod("cart-0")]);
        await reportPods(namespace, "blue-worker-2", [{ podIp: "10.244.0.7", nsmIp: "10.2.1.7" }]);
        const synced = await syncUsage(store, sourceOf(store), "blue");
        expect(synced.clusters[0]).toMatchObject({ outcome: "marked-in-use", connectedPods: 1 });
        expect(synced.clusters[0].ignored).toEqual([
            "connectedAppPods[0]: podName is missing",
            "connectedAppPods[1]: podName is missing",
            "connectedAppPods[2]: podName is empty",
        ]);
        expect(synced.clusters[1]).toMatchObject({
            outcome: "no-connected-pods",
            connectedPods: 0,
            ignored: ["connectedAppPods[0]: podName is missing"],
        });
        expect(await statusOf(store, "worker-2")).toBe("Allocated");
    });

    it("never writes InUse over a release that landed after the pods were read", async () => {
        const { namespace, store } = await sliceWith(["worker-1"]);
        await reportPods(namespace, "blue-worker-1", [pod("cart-0")]);
        const observations = await sourceOf(store).observe("blue", ["worker-1"]);
        // Another stack releases the cluster between the read and the write (a second store: its own client).
        await releaseSubnet(storeIn(namespace), "blue", "worker-1");
        const [usage] = await recordUsage(store, "blue", observations);
        expect(usage).toMatchObject({ outcome: "released", status: "Released" });
        expect(await statusOf(storeIn(namespace), "worker-1")).toBe("Released");
    });

    it("races a sync process against allocations and releases in the same slice without losing or resurrecting any", async () => {
        const first = ["a-0", "a-1", "a-2", "a-3"];
        const { namespace, store } = await sliceWith(first);
        for (const cluster of first) {
            await reportPods(namespace, `blue-${cluster}`, [pod(`${cluster}-pod`)]);
        }
        const spec = { kind: "kubernetes", namespace, kubeconfig: server.kubeconfig };
        const worker = spawn(process.execPath, [path.join(REPO, "test/support/usage-worker.cjs"), JSON.stringify(spec), "blue"], {
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        worker.stdout.on("data", (chunk) => (stdout += chunk));
        worker.stderr.on("data", (chunk) => (stderr += chunk));
        const exited = new Promise<number | null>((resolve) => worker.on("exit", resolve));
        await new Promise<void>((resolve) => worker.stdout.once("data", () => resolve()));
        worker.stdin.write("go\n");

        // Meanwhile this process allocates 12 clusters (each with a connected pod) and releases the first 4 and every third new one.
        const added: Record<string, string> = {};
        const released = new Set(first);
        await Promise.all(first.map((cluster) => releaseSubnet(store, "blue", cluster)));
        for (let i = 0; i < 12; i++) {
            const cluster = `b-${i}`;
            const { allocation } = await allocateSubnet(store, "blue", cluster);
            added[cluster] = allocation.subnet;
            await applyWorkerSliceConfig(namespace, cluster, allocation.subnet, allocation.index);
            await reportPods(namespace, `blue-${cluster}`, [pod(`${cluster}-pod`)]);
            if (i % 3 === 2) {
                await releaseSubnet(store, "blue", cluster);
                released.add(cluster);
            }
        }
        worker.stdin.write("stop\n");
        expect(await exited, stderr).toBe(0);
        const report = JSON.parse(stdout.split("\n")[1]) as { rounds: number; conflicts: number; marked: string[] };

        const ledger = (await storeIn(namespace).load("blue"))!.ledger;
        for (const cluster of released) {
            expect(findAllocation(ledger, cluster)?.status, cluster).toBe("Released");
        }
        for (const [cluster, subnet] of Object.entries(added)) {
            expect(findAllocation(ledger, cluster)?.subnet, cluster).toBe(subnet);
        }
        expect(new Set(ledger.allocations.map((e) => e.subnet)).size).toBe(ledger.allocations.length);
        // The writers really raced, and every lost race of the sync process is in the ledger's counter.
        expect(report.rounds).toBeGreaterThan(3);
        expect(report.conflicts).toBeGreaterThan(0);
        expect(ledger.counters.conflicts).toBeGreaterThanOrEqual(report.conflicts);
        // A final sync marks whatever active cluster it had not caught yet; nothing Released changes.
        const final = await syncUsage(store, sourceOf(store), "blue");
        expect(final.clusters.every((c) => c.status === "InUse")).toBe(true);
        expect(final.clusters.map((c) => c.clusterName).sort()).toEqual(
            Object.keys(added)
                .filter((c) => !released.has(c))
                .sort(),
        );
    }, 180_000);
});

describe("usage where it cannot be read", () => {
    it("says a cluster without the WorkerSliceConfig CRD cannot report usage, and writes nothing", async () => {
        const bare = await startTestApiServer([CRD]);
        try {
            const store = new KubernetesLedgerStore({ namespace: "x", kubeconfig: bare.kubeconfig });
            await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
            await allocateSubnet(store, "blue", "worker-1");
            await allocateSubnet(store, "blue", "worker-2");
            await settledStoreWork(); // the allocations' status projection, which changes the head's version
            const version = (await store.load("blue"))!.version;
            for (const clusters of [["worker-1"], ["worker-1", "worker-2"]]) {
                const failure = await syncUsage(store, sourceOf(store), "blue", { clusters }).catch((error: Error) => error);
                expect(failure).toBeInstanceOf(UsageNotObservableError);
                expect((failure as Error).message).toMatch(
                    /has no WorkerSliceConfig resource type \(workersliceconfigs\.worker\.kubeslice\.io\), so the usage of slice "blue" cannot be observed there: point the store at the KubeSlice controller cluster/,
                );
            }
            expect((await store.load("blue"))!.version).toBe(version);
        } finally {
            await bare.stop();
        }
    }, 120_000);

    it("works with exactly deploy/kubernetes/rbac.yaml's role, and without its workersliceconfigs rule fails with a 403 saying what to grant", async () => {
        const namespace = freshNamespace();
        const granted = await server.kubeconfigFor("ipam-store");
        server.grant("ipam-store", RBAC);
        const store = storeIn(namespace, granted);
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
        for (const cluster of ["worker-1", "worker-2"]) {
            const { allocation } = await allocateSubnet(store, "blue", cluster);
            await applyWorkerSliceConfig(namespace, cluster, allocation.subnet, allocation.index);
        }
        await reportPods(namespace, "blue-worker-1", [pod("cart-0")]);
        // get (one cluster) and list (several) are all it needs.
        expect((await syncUsage(store, sourceOf(store), "blue", { clusters: ["worker-2"] })).clusters[0].outcome).toBe("no-connected-pods");
        expect((await syncUsage(store, sourceOf(store), "blue")).clusters[0].outcome).toBe("marked-in-use");

        const withoutRule = RBAC.replace(
            /\n {2}- apiGroups: \["worker\.kubeslice\.io"\]\n {4}resources: \["workersliceconfigs"\]\n {4}verbs: \[[^\]]*\]/g,
            "",
        );
        expect(withoutRule).not.toMatch(/resources: \["workersliceconfigs"\]/);
        server.grant("ipam-store", withoutRule);
        for (const clusters of [["worker-2"], ["worker-1", "worker-2"]]) {
            await expect(syncUsage(store, sourceOf(store), "blue", { clusters })).rejects.toThrow(
                /cannot (read|list) WorkerSliceConfigs? .*slice "blue".*forbidden.*; grant the store's identity the kubeslice-ipam-store role \(deploy\/kubernetes\/rbac\.yaml\)/,
            );
        }
        // The store itself still works under the reduced role.
        await allocateSubnet(store, "blue", "worker-3");
    });
});

describe("usage through the SubnetAllocation provider (Pulumi's dynamic-provider host)", () => {
    let ipam: HostedIpam;
    beforeAll(async () => {
        ipam = await startHostedIpam({ routeLogsToEngine: true });
    });
    afterAll(async () => {
        await ipam?.close();
    });

    const warnings = (pattern: RegExp) => ipam.host.logs.filter((log) => log.severity === "warning" && pattern.test(log.message));

    it("refresh (read) records InUse; delete releases it and warns with the connected pods' count", async () => {
        const namespace = freshNamespace();
        const store = { kind: "kubernetes", namespace, kubeconfig: server.kubeconfig };
        const slice = await ipam.slices.check({}, { sliceName: "blue", sliceSubnet: "10.2.0.0/16", store });
        await ipam.slices.create(slice.inputs);
        const { inputs } = await ipam.allocations.check({}, { sliceName: "blue", clusterName: "worker-1", store });
        const created = await ipam.allocations.create(inputs);
        expect(created.properties.status).toBe("Allocated");
        await applyWorkerSliceConfig(namespace, "worker-1", created.properties.subnet as string, created.properties.index as number);

        const quiet = await ipam.allocations.read(created.id, created.properties, inputs);
        expect(quiet.properties.status).toBe("Allocated");
        await reportPods(namespace, "blue-worker-1", [pod("cart-0", 1), pod("cart-1", 2), pod("cart-2", 3)]);
        const refreshed = await ipam.allocations.read(created.id, created.properties, inputs);
        expect(refreshed.properties).toMatchObject({ status: "InUse", subnet: "10.2.0.0/24" });
        expect(await statusOf(storeIn(namespace), "worker-1")).toBe("InUse");
        // The next preview's diff: InUse is an output, not a change to make.
        expect((await ipam.allocations.diff(created.id, refreshed.properties, inputs)).changes).toBe("none");

        await ipam.allocations.delete(created.id, refreshed.properties, inputs);
        expect(await statusOf(storeIn(namespace), "worker-1")).toBe("Released");
        const [warning] = await vi.waitFor(() => {
            const found = warnings(/released subnet 10\.2\.0\.0\/24 of cluster "worker-1", which was InUse/);
            expect(found).toHaveLength(1);
            return found;
        });
        expect(warning.message).toContain("its WorkerSliceConfig blue-worker-1 reports 3 connected app pod(s)");
    });

    it("a refresh that cannot read WorkerSliceConfigs (403) warns and reports the allocation as stored", async () => {
        const namespace = freshNamespace();
        server.grant(
            "no-usage",
            RBAC.replace(/\n {2}- apiGroups: \["worker\.kubeslice\.io"\]\n {4}resources: \["workersliceconfigs"\]\n {4}verbs: \[[^\]]*\]/g, ""),
        );
        const store = { kind: "kubernetes", namespace, kubeconfig: await server.kubeconfigFor("no-usage") };
        const slice = await ipam.slices.check({}, { sliceName: "blue", sliceSubnet: "10.2.0.0/16", store });
        await ipam.slices.create(slice.inputs);
        const { inputs } = await ipam.allocations.check({}, { sliceName: "blue", clusterName: "worker-7", store });
        const created = await ipam.allocations.create(inputs);
        const refreshed = await ipam.allocations.read(created.id, created.properties, inputs);
        expect(refreshed.properties).toMatchObject({ status: "Allocated", subnet: "10.2.0.0/24" });
        await vi.waitFor(() =>
            expect(
                warnings(/slice "blue", cluster "worker-7": usage not observed on this refresh: .*forbidden.*kubeslice-ipam-store role/),
            ).toHaveLength(1),
        );
    });
});
