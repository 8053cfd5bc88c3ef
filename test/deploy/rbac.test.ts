/**
 * deploy/kubernetes/rbac.yaml (writer) and rbac-reader.yaml (reader) against
 * the real API server, each held alone by a fresh identity: the writer can do
 * everything the store does, the reader runs the read-only commands and is
 * refused every write with the 403 hint naming the writer role.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { workerSliceConfig } from "../../components/worker-slice-config";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice, unregisterSlice } from "../../provider/service/slices";
import { syncUsage } from "../../provider/service/usage";
import { FileLedgerStore } from "../../provider/store/file-store";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { usageSourceOf } from "../../provider/store/store-spec";
import { WORKER_SLICE_CONFIG_RESOURCE } from "../../provider/store/worker-slice-usage";
import { EVENTS } from "../../provider/store/kubernetes-events";
import { runCli, startExporter } from "../support/cli-process";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { findRepoRoot } from "../support/provider-host";
import { makeTempDir } from "../support/temp-dir";

const REPO = findRepoRoot(__dirname);
const WRITER = readFileSync(path.join(REPO, "deploy/kubernetes/rbac.yaml"), "utf8");
const READER = readFileSync(path.join(REPO, "deploy/kubernetes/rbac-reader.yaml"), "utf8");
const CRD = path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml");
const WORKER_CRD = path.join(REPO, "test/fixtures/kubeslice-crds/pr-284-dynamic-ipam/worker.kubeslice.io_workersliceconfigs.yaml");
// apiextensions-apiserver has no built-in Events: the test server serves events.k8s.io/v1 from a CRD of the upstream type.
const EVENTS_CRD = path.join(REPO, "test/fixtures/events/events.k8s.io_events.yaml");
const FORBIDDEN_HINT = "grant the store's identity the kubeslice-ipam-store role (deploy/kubernetes/rbac.yaml)";

let server: TestApiServer;
let temp: ReturnType<typeof makeTempDir>;
beforeAll(async () => {
    server = await startTestApiServer([CRD, WORKER_CRD, EVENTS_CRD]);
    temp = makeTempDir("slice-ipam-rbac-");
}, 1_200_000);
afterAll(async () => {
    await server?.stop();
    temp?.remove();
});

const freshNamespace = () => `ns-${randomBytes(4).toString("hex")}`;
const objects = () => server.config.makeApiClient(server.client.CustomObjectsApi);

/** A new identity holding exactly `rbacYaml`'s roles, as a kubeconfig's contents and a file. */
async function identityWith(rbacYaml: string): Promise<{ kubeconfig: string; file: string }> {
    const group = `rbac-${randomBytes(4).toString("hex")}`;
    const kubeconfig = await server.kubeconfigFor(group);
    server.grant(group, rbacYaml);
    const file = path.join(temp.dir, `${group}.yaml`);
    writeFileSync(file, kubeconfig);
    return { kubeconfig, file };
}

/** The worker operator's side: a WorkerSliceConfig whose status reports a connected pod. */
async function workerReportsPods(namespace: string, clusterName: string, subnet: string, index: number): Promise<void> {
    const body = workerSliceConfig({ sliceName: "blue", namespace, sliceSubnet: "10.2.0.0/16", clusterName, subnet, index });
    await objects().createNamespacedCustomObject({ ...WORKER_SLICE_CONFIG_RESOURCE, namespace, body });
    const name = `blue-${clusterName}`;
    const current = (await objects().getNamespacedCustomObject({ ...WORKER_SLICE_CONFIG_RESOURCE, namespace, name })) as any;
    const connectedAppPods = [
        { podName: "cart-0", podNamespace: "shop", podIp: "10.244.0.1", nsmInterface: "nsm0", nsmIp: "10.2.0.11", nsmPeerIp: "10.2.0.1" },
    ];
    await objects().replaceNamespacedCustomObjectStatus({
        ...WORKER_SLICE_CONFIG_RESOURCE,
        namespace,
        name,
        body: { ...current, status: { ...current.status, connectedAppPods, onboardedAppNamespaces: [{ name: "shop" }] } },
    });
}

const rulesOf = (yaml: string) =>
    parseAllDocuments(yaml)
        .map((document) => document.toJS() as { kind: string; rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] })
        .filter((document) => document?.kind === "ClusterRole")
        .flatMap((role) => role.rules.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`))))
        .sort();

describe("the roles' rules", () => {
    it("the writer grants exactly the requests the store makes, and the reader only reads", () => {
        expect(rulesOf(WRITER)).toEqual(
            [
                ...["get", "list", "create", "update", "delete"].map((verb) => `${verb} sliceipams`),
                "update sliceipams/status",
                ...["get", "list", "create", "delete"].map((verb) => `${verb} sliceipamshards`),
                "get workersliceconfigs",
                "list workersliceconfigs",
                "create events",
            ].sort(),
        );
        expect(rulesOf(READER)).toEqual(["get sliceipams", "list sliceipams", "get sliceipamshards", "list sliceipamshards"].sort());
    });
});

describe("as an identity holding only the writer role", () => {
    it("registers, allocates, syncs usage, releases, copies and unregisters; the CLI reads it all", async () => {
        const namespace = freshNamespace();
        const writer = await identityWith(WRITER);
        const store = new KubernetesLedgerStore({ namespace, kubeconfig: writer.kubeconfig });
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
        const { allocation } = await allocateSubnet(store, "blue", "worker-1");
        await allocateSubnet(store, "blue", "worker-2");
        await workerReportsPods(namespace, "worker-1", allocation.subnet, allocation.index);
        expect((await syncUsage(store, usageSourceOf(store)!, "blue")).clusters.map((c) => c.outcome)).toContain("marked-in-use");
        await releaseSubnet(store, "blue", "worker-2");
        // A new process reads the shards it has not cached.
        const show = await runCli(["--store", "kubernetes", "--namespace", namespace, "--kubeconfig", writer.file, "show", "blue"], temp.dir);
        expect(show.stderr).toBe("");
        expect(show.stdout).toMatch(/worker-1 +10\.2\.0\.0\/24 +InUse/);
        const sync = await runCli(["--store", "kubernetes", "--namespace", namespace, "--kubeconfig", writer.file, "sync-usage"], temp.dir);
        expect(sync.code).toBe(0);

        const fileStore = path.join(temp.dir, `${namespace}-files`);
        await registerSlice(
            new (await import("../../provider/store/file-store")).FileLedgerStore(fileStore),
            sliceSpecSchema.parse({ sliceName: "red", sliceSubnet: "10.3.0.0/16" }),
        );
        const copy = await runCli(["--store-dir", fileStore, "copy", "--to-namespace", namespace, "--to-kubeconfig", writer.file], temp.dir);
        expect(copy.stderr).toBe("");
        expect(copy.code).toBe(0);

        await releaseSubnet(store, "blue", "worker-1");
        await unregisterSlice(store, "blue");
        expect((await store.list()).map((entry) => entry.ledger.spec.sliceName)).toEqual(["red"]);
    }, 120_000);
});

/** The Events regarding a SliceIpam in `namespace`, oldest first, as `kubectl get events --field-selector involvedObject.kind=SliceIpam` lists them. */
async function sliceIpamEvents(namespace: string): Promise<{ reason: string; note: string; regarding: { name: string } }[]> {
    // A CRD's storage may still be initializing (429) just after the server started: the list is retried then.
    const listed = (await vi.waitFor(
        () =>
            objects().listNamespacedCustomObject({
                ...EVENTS,
                namespace,
                fieldSelector: "regarding.kind=SliceIpam",
            }),
        { timeout: 10_000, interval: 200 },
    )) as { items: { reason: string; note: string; eventTime: string; regarding: { name: string } }[] };
    return listed.items.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
}

describe("Kubernetes Events of a slice's changes", () => {
    it("with the writer role: each change announced on its SliceIpam, a burst summed up after 20", async () => {
        const namespace = freshNamespace();
        const writer = await identityWith(WRITER);
        const store = new KubernetesLedgerStore({ namespace, kubeconfig: writer.kubeconfig });
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
        await allocateSubnet(store, "blue", "worker-1");
        await releaseSubnet(store, "blue", "worker-1");
        // Published after the callers have their results: wait for the release's Event.
        const events = await vi.waitFor(
            async () => {
                const listed = await sliceIpamEvents(namespace);
                expect(listed.map((event) => [event.reason, event.regarding.name])).toEqual([
                    ["Registered", "blue"],
                    ["Allocated", "blue"],
                    ["Released", "blue"],
                ]);
                return listed;
            },
            { timeout: 10_000, interval: 200 },
        );
        expect(events[1].note).toMatch(/^cluster worker-1: 10\.2\.0\.0\/24 Available → Allocated; by /);
        // One commit of 50 allocations (the group commit): 19 Events and one that sums up the other 31.
        await Promise.all(Array.from({ length: 50 }, (_, i) => allocateSubnet(store, "blue", `burst-${i}`)));
        // Events are published after the callers have their results: wait until every commit's are written.
        const announced = (events: Awaited<ReturnType<typeof sliceIpamEvents>>) =>
            events.reduce((sum, event) => sum + (event.reason === "Changes" ? Number(/^(\d+) more/.exec(event.note)![1]) : 1), 0);
        await vi.waitFor(async () => expect(announced((await sliceIpamEvents(namespace)).slice(3))).toBe(50), { timeout: 20_000, interval: 200 });
        const burst = (await sliceIpamEvents(namespace)).slice(3);
        expect(burst.every((event) => event.reason === "Allocated" || event.reason === "Changes")).toBe(true);
        // Fewer Events than changes: the commits that carried many allocations summed them up.
        expect(burst.length).toBeLessThan(50);
    }, 120_000);

    it("a slice's removal is announced too, though its ledger and history go with it", async () => {
        const namespace = freshNamespace();
        const store = new KubernetesLedgerStore({ namespace, kubeconfig: (await identityWith(WRITER)).kubeconfig });
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "gone", sliceSubnet: "10.4.0.0/16" }));
        await unregisterSlice(store, "gone");
        await vi.waitFor(async () => expect((await sliceIpamEvents(namespace)).map((event) => event.reason)).toEqual(["Registered", "Removed"]), {
            timeout: 10_000,
            interval: 200,
        });
        expect(await store.load("gone")).toBeUndefined();
    }, 120_000);

    it("without the events rule: every change still commits, with its history, and no Event is written", async () => {
        const namespace = freshNamespace();
        const withoutEvents = WRITER.replace(/\n {2}- apiGroups: \["events\.k8s\.io"\]\n {4}resources: \["events"\]\n {4}verbs: \["create"\]/g, "");
        expect(withoutEvents).not.toContain("events.k8s.io");
        const writer = await identityWith(withoutEvents);
        const store = new KubernetesLedgerStore({ namespace, kubeconfig: writer.kubeconfig });
        await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
        const { allocation } = await allocateSubnet(store, "blue", "worker-1");
        expect(allocation.subnet).toBe("10.2.0.0/24");
        const ledger = (await store.load("blue"))!.ledger;
        expect(ledger.history?.map((event) => event.action)).toEqual(["registered", "allocated"]);
        // A slice's commits (and their publishing) run one after another: once a later change is acknowledged, the
        // Events of the earlier ones were attempted, and refused.
        await allocateSubnet(store, "blue", "worker-2");
        expect(await sliceIpamEvents(namespace)).toEqual([]);
    }, 120_000);
});

describe("as an identity holding only the reader role", () => {
    let namespace: string;
    let reader: { kubeconfig: string; file: string };
    const cli = (...args: string[]) => runCli(["--store", "kubernetes", "--namespace", namespace, "--kubeconfig", reader.file, ...args], temp.dir);
    beforeAll(async () => {
        namespace = freshNamespace();
        const admin = new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });
        await registerSlice(admin, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
        const { allocation } = await allocateSubnet(admin, "blue", "worker-1");
        await workerReportsPods(namespace, "worker-1", allocation.subnet, allocation.index);
        reader = await identityWith(READER);
    }, 60_000);

    it.each([["status"], ["status", "blue"], ["show", "blue"], ["check", "blue", "--clusters", "worker-1"], ["savings"], ["metrics"]])(
        "runs %s",
        async (...command) => {
            const run = await cli(...command);
            expect(run.stderr).toBe("");
            expect(run.code).toBe(0);
        },
    );

    it("serves metrics over HTTP", async () => {
        const exporter = await startExporter(
            ["--store", "kubernetes", "--namespace", namespace, "--kubeconfig", reader.file, "--listen", "127.0.0.1:0"],
            temp.dir,
        );
        try {
            const response = await fetch(exporter.url);
            expect(response.status).toBe(200);
            expect(await response.text()).toMatch(/^ipam_allocated_subnets\{slice="blue"\} 1$/m);
        } finally {
            await exporter.stop();
        }
    });

    it("is refused every write, with the hint naming the writer role", async () => {
        const sync = await cli("sync-usage");
        expect(sync.stderr).toContain("forbidden");
        expect(sync.stderr).toContain(FORBIDDEN_HINT);
        expect(sync.code).toBe(6);
        const files = path.join(temp.dir, `${namespace}-files`);
        await registerSlice(new FileLedgerStore(files), sliceSpecSchema.parse({ sliceName: "red", sliceSubnet: "10.3.0.0/16" }));
        const copy = await runCli(["--store-dir", files, "copy", "--to-namespace", namespace, "--to-kubeconfig", reader.file], temp.dir);
        expect(copy.stderr).toContain(FORBIDDEN_HINT);
        expect(copy.code).toBe(6);
        const store = new KubernetesLedgerStore({ namespace, kubeconfig: reader.kubeconfig });
        for (const write of [
            () => registerSlice(store, sliceSpecSchema.parse({ sliceName: "green", sliceSubnet: "10.4.0.0/16" })),
            () => allocateSubnet(store, "blue", "worker-2"),
            () => releaseSubnet(store, "blue", "worker-1"),
        ]) {
            await expect(write()).rejects.toThrow(FORBIDDEN_HINT);
        }
        const admin = new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });
        expect((await admin.load("blue"))?.ledger.allocations.map((a) => [a.clusterName, a.status])).toEqual([["worker-1", "Allocated"]]);
    });
});
