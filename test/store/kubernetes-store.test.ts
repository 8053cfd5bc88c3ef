import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as k8s from "@kubernetes/client-node";
import { workerSliceConfig } from "../../components/worker-slice-config";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice, unregisterSlice, updateSliceSettings } from "../../provider/service/slices";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { CorruptLedgerError } from "../../provider/store/ledger-document";
import { ANNOTATION_COUNTERS } from "../../provider/store/sliceipam-object";
import { allocateFromProcesses } from "../support/allocate-workers";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { describeLedgerStoreContract } from "./ledger-store-contract";

const CRD = path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml");
const WORKER_CRD = path.resolve(__dirname, "../fixtures/kubeslice-crds/pr-284-dynamic-ipam/worker.kubeslice.io_workersliceconfigs.yaml");
const GROUP = { group: "controller.kubeslice.io", version: "v1alpha1", plural: "sliceipams" };

let server: TestApiServer;
// First run on a machine builds the server from the Go module proxy: minutes.
beforeAll(async () => {
    server = await startTestApiServer([CRD, WORKER_CRD]);
}, 1_200_000);
afterAll(async () => {
    await server?.stop();
});

const freshNamespace = () => `ns-${randomBytes(4).toString("hex")}`;
const storeIn = (namespace: string, options: { transientAttempts?: number } = {}) =>
    new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig, ...options });
const spec = (input: Record<string, unknown> = {}) => sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", ...input });
const objects = () => server.config.makeApiClient(server.client.CustomObjectsApi);

describeLedgerStoreContract("Kubernetes store (real apiextensions-apiserver)", async () => {
    const namespace = freshNamespace();
    return { store: storeIn(namespace), otherClient: () => storeIn(namespace), dispose: async () => undefined };
});

describe("Kubernetes store", () => {
    it("keeps a SliceIpam a KubeSlice controller can read: spec, status, printer columns", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        await registerSlice(store, spec());
        await allocateSubnet(store, "blue", "worker-1");
        await allocateSubnet(store, "blue", "worker-2");
        await releaseSubnet(store, "blue", "worker-2");
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        expect(object.spec).toEqual({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", subnetSize: 24 });
        expect(object.status.allocatedSubnets).toEqual([
            expect.objectContaining({ clusterName: "worker-1", subnet: "10.2.0.0/24", status: "Allocated" }),
            expect.objectContaining({ clusterName: "worker-2", subnet: "10.2.1.0/24", status: "Released", releasedAt: expect.any(String) }),
        ]);
        expect(object.status).toMatchObject({ availableSubnets: 254, totalSubnets: 256 });
        expect(JSON.parse(object.metadata.annotations[ANNOTATION_COUNTERS])).toMatchObject({ allocationsSucceeded: 2, releases: 1 });

        // What `kubectl get sliceipam` prints: the server's Table view of our CRD.
        const table = await fetchTable(namespace);
        expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Slice Subnet", "Subnet Size", "Available", "Total", "Age"]);
        expect(table.rows[0].cells.slice(0, 5)).toEqual(["blue", "10.2.0.0/16", 24, 254, 256]);
    });

    it("lands the slice's WorkerSliceConfigs beside its SliceIpam, accepted by the real CRD's validation", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        await registerSlice(store, spec());
        const manifests = [];
        for (const clusterName of ["worker-1", "worker-2"]) {
            const { allocation } = await allocateSubnet(store, "blue", clusterName);
            manifests.push(
                workerSliceConfig({
                    sliceName: "blue",
                    namespace,
                    sliceSubnet: "10.2.0.0/16",
                    clusterName,
                    subnet: allocation.subnet,
                    index: allocation.index,
                    extras: { sliceType: "Application", qosProfileDetails: { queueType: "HTB", priority: 1 } },
                }),
            );
        }
        const worker = { group: "worker.kubeslice.io", version: "v1alpha1", plural: "workersliceconfigs" };
        for (const manifest of manifests) {
            await objects().createNamespacedCustomObject({ ...worker, namespace, body: manifest });
        }
        const stored = (await objects().getNamespacedCustomObject({ ...worker, namespace, name: "blue-worker-2" })) as any;
        // Nothing was pruned: every field we send is in the schema.
        expect(stored.spec).toEqual({ ...manifests[1].spec, overlayNetworkDeploymentMode: "single-network" });
        expect(stored.metadata.labels).toEqual(manifests[1].metadata.labels);
        const typo = { ...manifests[0], metadata: { ...manifests[0].metadata, name: "typo" }, spec: { ...manifests[0].spec, octet: "1" } };
        const refused = await objects()
            .createNamespacedCustomObject({ ...worker, namespace, body: typo })
            .then(() => undefined, (error: k8s.ApiException<string>) => error.code);
        expect(refused).toBe(422);
    });

    it("refuses, server-side, any change to the pool (CEL self == oldSelf)", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        const changed = { ...object, spec: { ...object.spec, sliceSubnet: "10.9.0.0/16" } };
        const failure = await objects()
            .replaceNamespacedCustomObject({ ...GROUP, namespace, name: "blue", body: changed })
            .then(() => undefined, (error: unknown) => error as k8s.ApiException<string>);
        expect(failure?.code).toBe(422);
        expect(String(failure?.body)).toContain("sliceSubnet is immutable");
    });

    it("updates settings in place and refuses to delete a slice in use", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        await registerSlice(store, spec());
        await allocateSubnet(store, "blue", "worker-1");
        const updated = await updateSliceSettings(store, spec({ gracePeriodSeconds: 60, maxClusters: 10 }));
        expect(updated.spec).toMatchObject({ gracePeriodSeconds: 60, maxClusters: 10 });
        expect((await storeIn(namespace).load("blue"))!.ledger.spec.maxClusters).toBe(10);
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        expect(object.status.availableSubnets).toBe(9);
        await expect(unregisterSlice(store, "blue")).rejects.toThrow(/still has 1 active allocation/);
        await releaseSubnet(store, "blue", "worker-1");
        await unregisterSlice(store, "blue");
        expect(await store.load("blue")).toBeUndefined();
    });

    it("refuses a SliceIpam whose annotations were corrupted, naming it", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        object.metadata.annotations[ANNOTATION_COUNTERS] = "{not json";
        await objects().replaceNamespacedCustomObject({ ...GROUP, namespace, name: "blue", body: object });
        const failure = storeIn(namespace).load("blue");
        await expect(failure).rejects.toThrow(CorruptLedgerError);
        await expect(failure).rejects.toThrow(`SliceIpam ${namespace}/blue`);
    });

    it("retries an unreachable API server a bounded number of times, then says what failed", async () => {
        const kubeconfig = server.kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/, "server: https://127.0.0.1:1");
        const store = new KubernetesLedgerStore({ namespace: "x", kubeconfig, transientAttempts: 3 });
        await expect(store.load("blue")).rejects.toThrow(
            /Kubernetes store https:\/\/127\.0\.0\.1:1 namespace x: cannot read slice "blue" \(after 3 attempts\)/,
        );
    });

    it("4 processes allocating 64 clusters each at once get 256 distinct subnets, indexes 0-255", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const storeSpec = { kind: "kubernetes", namespace, kubeconfig: server.kubeconfig };
        const results = await allocateFromProcesses(storeSpec, "blue", ["p0", "p1", "p2", "p3"], 64);
        for (const result of results) {
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
        }
        const allocations = results.flatMap((result) => result.allocations);
        expect(new Set(allocations.map((a) => a.subnet)).size).toBe(256);
        expect(allocations.map((a) => a.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 256 }, (_, i) => i));
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        expect(stored.allocations).toHaveLength(256);
        // Every allocation and every lost race made it into the counters (the guide's metrics).
        expect(stored.counters.allocationsSucceeded).toBe(256);
        expect(stored.counters.allocationLatency.count).toBe(256);
        expect(stored.counters.conflicts).toBeGreaterThanOrEqual(0);
    });
});

describe("Kubernetes store when the API server stops mid-run", () => {
    it("fails with a clear error, and after a restart nothing is duplicated or lost", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const clusters = Array.from({ length: 20 }, (_, i) => `worker-${i}`);
        const store = storeIn(namespace, { transientAttempts: 3 });
        const inFlight = Promise.allSettled(clusters.map((cluster) => allocateSubnet(store, "blue", cluster)));
        await server.kill();
        const outcomes = await inFlight;
        const afterKill = await allocateSubnet(storeIn(namespace, { transientAttempts: 3 }), "blue", "late").then(
            () => "allocated",
            (error: Error) => error.message,
        );
        expect(afterKill).toMatch(/^Kubernetes store https:\/\/127\.0\.0\.1:\d+ namespace ns-\w+: cannot read slice "blue" \(after 3 attempts\)/);
        for (const outcome of outcomes) {
            if (outcome.status === "rejected") {
                expect(String(outcome.reason)).toMatch(/Kubernetes store .* cannot .* slice "blue"/);
            }
        }

        await server.resume();
        const granted = new Map<string, string>();
        outcomes.forEach((outcome, i) => {
            if (outcome.status === "fulfilled") {
                granted.set(clusters[i], outcome.value.allocation.subnet);
            }
        });
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        for (const [cluster, subnet] of granted) {
            expect(stored.allocations.find((a) => a.clusterName === cluster)?.subnet).toBe(subnet); // not lost
        }
        const retried = await Promise.all(clusters.map((cluster) => allocateSubnet(storeIn(namespace), "blue", cluster)));
        retried.forEach((result, i) => {
            const before = granted.get(clusters[i]);
            if (before !== undefined) {
                expect(result.allocation.subnet).toBe(before);
            }
        });
        const final = (await storeIn(namespace).load("blue"))!.ledger.allocations;
        expect(final).toHaveLength(20);
        expect(new Set(final.map((a) => a.subnet)).size).toBe(20); // not duplicated
        expect(final.map((a) => a.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });
});

async function fetchTable(namespace: string): Promise<any> {
    const cluster = server.config.getCurrentCluster()!;
    const options: any = { headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" } };
    await server.config.applyToFetchOptions(options);
    const response = await (require("node-fetch") as typeof import("node-fetch")).default(
        `${cluster.server}/apis/controller.kubeslice.io/v1alpha1/namespaces/${namespace}/sliceipams`,
        options,
    );
    return response.json();
}
