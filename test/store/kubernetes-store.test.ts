import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as k8s from "@kubernetes/client-node";
import { workerSliceConfig } from "../../components/worker-slice-config";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice, unregisterSlice, updateSliceSettings } from "../../provider/service/slices";
import { VIEW_ENTRIES } from "../../provider/store/kubernetes-head-view";
import { settledStoreWork } from "../../provider/store/exit-hold";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { CorruptLedgerError } from "../../provider/store/ledger-document";
import { Allocation, newLedger, SliceLedger } from "../../provider/core/ledger";
import { indexOfSubnet, subnetTextAt } from "../../provider/core/pool";
import { ipv6PoolOf } from "../../provider/core/slice-pools";
import { poolOf } from "../../provider/core/ledger";
import { ANNOTATION_COUNTERS, ANNOTATION_SETTINGS, ledgerOf, sliceIpamObject, statusOf } from "../../provider/store/sliceipam-object";
import { ANNOTATION_LEDGER, PROJECTION_LIMIT, SETTINGS_FENCE } from "../../provider/store/sliceipam-shard";
import { allocateFromProcesses } from "../support/allocate-workers";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { describeHistoryContract } from "./history-contract";
import { describeLedgerStoreContract, IPV6_POOLS } from "./ledger-store-contract";
import { itKeepsDualStackSlices } from "./dual-stack-contract";

const CRD = path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml");
const WORKER_CRD = path.resolve(__dirname, "../fixtures/kubeslice-crds/pr-284-dynamic-ipam/worker.kubeslice.io_workersliceconfigs.yaml");
const GROUP = { group: "controller.kubeslice.io", version: "v1alpha1", plural: "sliceipams" };
const SHARDS = { group: "ipam.kubeslice-ipam.io", version: "v1alpha1", plural: "sliceipamshards" };

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

const kubernetesFixture = async () => {
    const namespace = freshNamespace();
    return { store: storeIn(namespace), otherClient: () => storeIn(namespace), dispose: async () => undefined };
};

describeLedgerStoreContract("Kubernetes store (real apiextensions-apiserver)", kubernetesFixture);

describeLedgerStoreContract("Kubernetes store (real apiextensions-apiserver)", kubernetesFixture, IPV6_POOLS);

describeHistoryContract("Kubernetes store (real apiextensions-apiserver)", kubernetesFixture);

describe("Kubernetes store", () => {
    it("keeps a SliceIpam a KubeSlice controller can read: spec, status, printer columns", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        await registerSlice(store, spec());
        await allocateSubnet(store, "blue", "worker-1");
        await allocateSubnet(store, "blue", "worker-2");
        await releaseSubnet(store, "blue", "worker-2");
        await settledStoreWork(); // the status projection is written once the burst's callers have their results
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

    it("keeps an IPv6 slice's SliceIpam valid, with a total past 2^53 as exact text", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        await registerSlice(store, spec({ sliceSubnet: "fd00::/8", subnetSize: 64 }));
        const { allocation } = await allocateSubnet(store, "blue", "worker-1");
        expect(allocation).toMatchObject({ subnet: "fd00::/64", index: 0 });
        await settledStoreWork(); // the status projection is written once the burst's callers have their results
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        expect(object.spec).toEqual({ sliceName: "blue", sliceSubnet: "fd00::/8", subnetSize: 64 });
        expect(object.status.allocatedSubnets).toEqual([expect.objectContaining({ clusterName: "worker-1", subnet: "fd00::/64" })]);
        expect(object.status).toMatchObject({ availableSubnets: 4095, totalSubnetsExact: "72057594037927936" });
        expect(object.status).not.toHaveProperty("totalSubnets");

        // A /32 of /64s: 2^32 subnets, still a JSON number.
        await registerSlice(store, spec({ sliceName: "red", sliceSubnet: "fc00:1::/32", subnetSize: 64 }));
        const red = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "red" })) as any;
        const table = await fetchTable(namespace);
        expect(table.rows.map((row: any) => row.cells.slice(0, 3))).toEqual([
            ["blue", "fd00::/8", 64],
            ["red", "fc00:1::/32", 64],
        ]);
        expect(red.status ?? {}).not.toHaveProperty("totalSubnetsExact");
    });

    it("lands an IPv6 slice's WorkerSliceConfig, accepted by the real CRD's validation", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        await registerSlice(store, spec({ sliceSubnet: "fd00:10::/48", subnetSize: 64 }));
        await allocateSubnet(store, "blue", "worker-1");
        const { allocation } = await allocateSubnet(store, "blue", "worker-2");
        const manifest = workerSliceConfig({
            sliceName: "blue",
            namespace,
            sliceSubnet: "fd00:10::/48",
            clusterName: "worker-2",
            subnet: allocation.subnet,
            index: allocation.index,
        });
        const worker = { group: "worker.kubeslice.io", version: "v1alpha1", plural: "workersliceconfigs" };
        await objects().createNamespacedCustomObject({ ...worker, namespace, body: manifest });
        const stored = (await objects().getNamespacedCustomObject({ ...worker, namespace, name: "blue-worker-2" })) as any;
        // Nothing was pruned; the CRD's defaults are added.
        expect(stored.spec).toEqual({ ...manifest.spec, overlayNetworkDeploymentMode: "single-network", sliceType: "Application" });
        expect(stored.spec).toMatchObject({ sliceSubnet: "fd00:10::/48", clusterSubnetCIDR: "fd00:10:0:1::/64", octet: 1 });
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
            .then(
                () => undefined,
                (error: k8s.ApiException<string>) => error.code,
            );
        expect(refused).toBe(422);
    });

    it("refuses, server-side, any change to the pool (CEL self == oldSelf)", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        const changed = { ...object, spec: { ...object.spec, sliceSubnet: "10.9.0.0/16" } };
        const failure = await objects()
            .replaceNamespacedCustomObject({ ...GROUP, namespace, name: "blue", body: changed })
            .then(
                () => undefined,
                (error: unknown) => error as k8s.ApiException<string>,
            );
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
        await settledStoreWork();
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        expect(object.status.availableSubnets).toBe(9);
        await expect(unregisterSlice(store, "blue")).rejects.toThrow(/still has 1 active allocation/);
        await releaseSubnet(store, "blue", "worker-1");
        await unregisterSlice(store, "blue");
        expect(await store.load("blue")).toBeUndefined();
    });

    it("keeps reserved ranges in the head's ledger annotation, changes them in place, and reads heads without them as none", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        await registerSlice(store, spec());
        expect(JSON.parse(await ledgerAnnotation(namespace))).not.toHaveProperty("reservedRanges");
        await allocateSubnet(store, "blue", "worker-1"); // 10.2.0.0/24
        await expect(updateSliceSettings(store, spec({ reservedRanges: ["10.2.0.0/23"] }))).rejects.toMatchObject({
            code: "reserved-range-overlaps-held",
        });
        await updateSliceSettings(store, spec({ reservedRanges: ["10.2.0.0/23", "10.9.0.0/16"] }), { acceptReservedOverlaps: true });
        expect(JSON.parse(await ledgerAnnotation(namespace)).reservedRanges).toEqual(["10.2.0.0/23", "10.9.0.0/16"]);
        const reread = (await storeIn(namespace).load("blue"))!.ledger;
        expect(reread.spec.reservedRanges).toEqual(["10.2.0.0/23", "10.9.0.0/16"]);
        expect(reread.allocations.map((e) => [e.clusterName, e.subnet])).toEqual([["worker-1", "10.2.0.0/24"]]);
        expect((await allocateSubnet(storeIn(namespace), "blue", "worker-2")).allocation.subnet).toBe("10.2.2.0/24");
        await settledStoreWork(); // the status projection is written once the burst's callers have their results
        const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
        // 256 less 2 reserved (one of them held by worker-1, so usable) less 2 active.
        expect(object.status).toMatchObject({ availableSubnets: 253, totalSubnets: 256 });
        await updateSliceSettings(store, spec());
        expect(JSON.parse(await ledgerAnnotation(namespace))).not.toHaveProperty("reservedRanges");
        expect((await storeIn(namespace).load("blue"))!.ledger.spec).not.toHaveProperty("reservedRanges");
    });

    describe("dual-stack slices", () => {
        itKeepsDualStackSlices(() => {
            const namespace = freshNamespace();
            return () => storeIn(namespace);
        });

        it("keeps the IPv6 pool in the head's ledger annotation: spec and shards keep the KubeSlice and single-stack shapes", async () => {
            const namespace = freshNamespace();
            const store = storeIn(namespace);
            await registerSlice(store, spec({ sliceSubnetIpv6: "fd00:2::/48", subnetSizeIpv6: 64 }));
            await allocateSubnet(store, "blue", "worker-1");
            await settledStoreWork();
            const annotation = JSON.parse(await ledgerAnnotation(namespace));
            expect(annotation).toMatchObject({ sliceSubnetIpv6: "fd00:2::/48", subnetSizeIpv6: 64 });
            const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
            expect(object.spec).toEqual({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", subnetSize: 24 });
            expect(object.status.allocatedSubnets).toEqual([expect.objectContaining({ clusterName: "worker-1", subnet: "10.2.0.0/24" })]);
            // Stored entries (in shards, or recent ones in the head) have the single-stack shape: the IPv6 subnet follows from the index.
            const shards = (await objects().listNamespacedCustomObject({ ...SHARDS, namespace })) as any;
            const stored = [...shards.items.flatMap((shard: any) => shard.spec.allocations), ...annotation.recent];
            expect(stored.map((entry: any) => Object.keys(entry).sort())).toEqual([["allocatedAt", "clusterName", "index", "status", "subnet"]]);
            expect((await storeIn(namespace).load("blue"))!.ledger.allocations[0].subnetIpv6).toBe("fd00:2::/64");
        });
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

    it.each([
        ["sharded head", ANNOTATION_LEDGER, "maxClusters"],
        ["sharded head", ANNOTATION_LEDGER, "gracePeriodSeconds"],
        ["single-object form", ANNOTATION_SETTINGS, "maxClusters"],
        ["single-object form", ANNOTATION_SETTINGS, "gracePeriodSeconds"],
    ])("refuses a %s whose %s lacks %s, naming it; nothing is written, never a default", async (form, annotation, setting) => {
        const namespace = freshNamespace();
        const ledger = newLedger(spec({ maxClusters: 1, gracePeriodSeconds: 60 }), new Date());
        if (form === "sharded head") {
            await registerSlice(storeIn(namespace), ledger.spec);
        } else {
            await writeLegacy(namespace, ledger);
        }
        const object = await headObject(namespace, "blue");
        const stored = JSON.parse(object.metadata.annotations[annotation]);
        delete stored[setting];
        object.metadata.annotations[annotation] = JSON.stringify(stored);
        const written = (await objects().replaceNamespacedCustomObject({ ...GROUP, namespace, name: "blue", body: object })) as any;
        const failure = allocateSubnet(storeIn(namespace), "blue", "worker-1");
        await expect(failure).rejects.toThrow(CorruptLedgerError);
        await expect(failure).rejects.toThrow(`SliceIpam ${namespace}/blue`);
        await expect(failure).rejects.toThrow(`annotation ${annotation}: ${setting} is missing`);
        expect((await headObject(namespace, "blue")).metadata.resourceVersion).toBe(written.metadata.resourceVersion);
    });

    it("refuses a head restored without spec.subnetSize (the CRD defaults it to 24) on a /26 slice, instead of handing out /24s", async () => {
        // The CRD keeps subnetSize immutable on update; a restore (delete, create from a backup that lacks it) does not.
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec({ subnetSize: 26 }));
        const { metadata, spec: stored } = await headObject(namespace, "blue");
        await objects().deleteNamespacedCustomObject({ ...GROUP, namespace, name: "blue" });
        const body = {
            apiVersion: `${GROUP.group}/${GROUP.version}`,
            kind: "SliceIpam",
            metadata: { name: "blue", namespace, labels: metadata.labels, annotations: metadata.annotations },
            spec: { sliceName: stored.sliceName, sliceSubnet: stored.sliceSubnet },
        };
        const written = (await objects().createNamespacedCustomObject({ ...GROUP, namespace, body })) as any;
        expect(written.spec.subnetSize).toBe(24);
        const failure = allocateSubnet(storeIn(namespace), "blue", "worker-1");
        await expect(failure).rejects.toThrow(CorruptLedgerError);
        await expect(failure).rejects.toThrow(`spec.subnetSize 24 differs from subnetSize 26 in annotation ${ANNOTATION_LEDGER}`);
        expect((await headObject(namespace, "blue")).metadata.resourceVersion).toBe(written.metadata.resourceVersion);
    });

    it("retries an unreachable API server a bounded number of times, then says what failed", async () => {
        const kubeconfig = server.kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/, "server: https://127.0.0.1:1");
        const store = new KubernetesLedgerStore({ namespace: "x", kubeconfig, transientAttempts: 3 });
        await expect(store.load("blue")).rejects.toThrow(
            /Kubernetes store https:\/\/127\.0\.0\.1:1 namespace x: cannot read slice "blue" \(after 3 attempts\)/,
        );
    });

    it("8 processes allocating 64 clusters each at once get 512 distinct subnets, every lost race is counted, every allocation recorded once", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec({ sliceSubnet: "10.2.0.0/15" }));
        const storeSpec = { kind: "kubernetes", namespace, kubeconfig: server.kubeconfig };
        const prefixes = Array.from({ length: 8 }, (_, i) => `p${i}`);
        const results = await allocateFromProcesses(storeSpec, "blue", prefixes, 64, undefined, (prefix) => ({
            PULUMI_PROJECT: `project-${prefix}`,
        }));
        for (const result of results) {
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
        }
        const allocations = results.flatMap((result) => result.allocations);
        expect(new Set(allocations.map((a) => a.subnet)).size).toBe(512);
        // The history: one event per allocation, none lost or doubled by the races, each naming the process that made it.
        const history = (await storeIn(namespace).load("blue"))!.ledger.history ?? [];
        const allocatedEvents = history.filter((event) => event.action === "allocated");
        expect(allocatedEvents).toHaveLength(512);
        expect(new Set(allocatedEvents.map((event) => event.clusterName)).size).toBe(512);
        for (const event of allocatedEvents) {
            expect(event.actor.project).toBe(`project-${event.clusterName!.split("-")[0]}`);
            expect(event.subnet).toBe(allocations.find((a) => a.clusterName === event.clusterName)!.subnet);
        }
        expect(allocations.map((a) => a.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 512 }, (_, i) => i));
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        expect(stored.allocations).toHaveLength(512);
        // Every allocation and every lost race made it into the counters (the guide's metrics).
        expect(stored.counters.allocationsSucceeded).toBe(512);
        expect(stored.counters.allocationLatency.count).toBe(512);
        const observed = results.reduce((sum, result) => sum + result.conflicts, 0);
        expect(observed).toBeGreaterThan(0);
        expect(stored.counters.conflicts).toBe(observed);
        // Losers deleted the shards they created; replaced shards were deleted after each commit.
        expect(await shardNames(namespace)).toEqual(referencedShards(await headObject(namespace, "blue")));
    });
});

describe("Kubernetes store: sharded ledger", () => {
    it("keeps entries in shards, the head small and status a bounded projection", async () => {
        const namespace = freshNamespace();
        const ledger = ledgerWith(spec({ sliceSubnet: "10.8.0.0/14" }), 300, 0, 10);
        expect((await storeIn(namespace).compareAndSwap("blue", undefined, ledger)).ok).toBe(true);
        const loaded = (await storeIn(namespace).load("blue"))!;
        expect(loaded.ledger).toEqual(ledger);
        expect(loaded.storage).toMatchObject({ limitBytes: 262_144 });
        expect(loaded.storage!.usedBytes).toBeLessThan(2_000);
        const head = await headObject(namespace, "blue");
        expect(JSON.parse(head.metadata.annotations[ANNOTATION_LEDGER]).shards).toHaveLength(3); // 128 indexes a shard
        expect(await shardNames(namespace)).toHaveLength(3);
        expect(head.status.allocatedSubnets).toHaveLength(PROJECTION_LIMIT);
        expect(head.status.allocatedSubnets[0]).toMatchObject({ clusterName: ledger.allocations[0].clusterName, status: "Allocated" });
        expect(head.status).toMatchObject({ availableSubnets: 1024 - 300, totalSubnets: 1024 });
    });

    it("migrates a single-object slice while 4 processes allocate, losing and duplicating nothing", async () => {
        const namespace = freshNamespace();
        const legacy = ledgerWith(spec({ sliceSubnet: "10.4.0.0/15" }), 200, 100, 0);
        await writeLegacy(namespace, legacy);
        // The old form still loads as it is.
        expect((await storeIn(namespace).load("blue"))!.ledger).toEqual(legacy);

        const storeSpec = { kind: "kubernetes", namespace, kubeconfig: server.kubeconfig };
        const results = await allocateFromProcesses(storeSpec, "blue", ["m0", "m1", "m2", "m3"], 16);
        for (const result of results) {
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
        }
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        for (const entry of legacy.allocations) {
            expect(stored.allocations.find((a) => a.clusterName === entry.clusterName)).toEqual(entry);
        }
        expect(stored.allocations).toHaveLength(364);
        expect(new Set(stored.allocations.map((a) => a.subnet)).size).toBe(364);
        const head = await headObject(namespace, "blue");
        expect(head.metadata.annotations[ANNOTATION_SETTINGS]).toBe(SETTINGS_FENCE);
        // A version that reads status as the ledger refuses the migrated slice instead of trusting the projection.
        expect(ledgerOf(head).ok).toBe(false);
        expect(await shardNames(namespace)).toEqual(referencedShards(head));
    });

    it("refuses a write over the API server's size limit at once, saying what to do", async () => {
        const namespace = freshNamespace();
        // A single-object slice already at the wall: its next write cannot fit, whatever the form.
        const full = ledgerWith(spec({ sliceSubnet: "10.0.0.0/8" }), 4_000, 4_000, 63);
        await writeLegacy(namespace, full);
        await padToLimit(namespace, "blue");
        const before = await headObject(namespace, "blue");
        const failure = await allocateSubnet(storeIn(namespace), "blue", "one-more").then(
            () => undefined,
            (error: Error) => error.message,
        );
        expect(failure).toMatch(/request is too large; not retried: .*single-object form.*docs\/operations\.md, Troubleshooting/);
        // A retried failure says "(after N attempts)": this one was not retried.
        expect(failure).not.toMatch(/after \d+ attempts/);
        expect((await headObject(namespace, "blue")).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
        expect(await shardNames(namespace)).toEqual([]);
    });

    it("reports a referenced shard that is gone, naming it, instead of reading fewer entries", async () => {
        const namespace = freshNamespace();
        await storeIn(namespace).compareAndSwap("blue", undefined, ledgerWith(spec({ sliceSubnet: "10.8.0.0/14" }), 300, 0, 10));
        const [victim] = await shardNames(namespace);
        await objects().deleteNamespacedCustomObject({ ...SHARDS, namespace, name: victim });
        // As a new process: nothing cached.
        delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("kubeslice-ipam.kubernetes-shard-cache")];
        const failure = storeIn(namespace).load("blue");
        await expect(failure).rejects.toThrow(CorruptLedgerError);
        await expect(failure).rejects.toThrow(`its shard SliceIpamShard ${namespace}/${victim} (entries of indexes 0..127) does not exist`);
    });

    it(`keeps at most ${VIEW_ENTRIES} heads per process however many slices it reads`, async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        const count = VIEW_ENTRIES + 10;
        for (let i = 0; i < count; i++) {
            const sliceSubnet = `10.${Math.floor(i / 16)}.${(i % 16) * 16}.0/20`;
            await store.compareAndSwap(`s${i}`, undefined, newLedger(spec({ sliceName: `s${i}`, sliceSubnet }), new Date()));
        }
        expect(await store.list()).toHaveLength(count);
        const view = (globalThis as unknown as Record<symbol, { size: number }>)[Symbol.for("kubeslice-ipam.kubernetes-head-view")];
        expect(view.size).toBe(VIEW_ENTRIES);
    });
});

describe("Kubernetes store at 4,096 active + 20,000 Released entries (63-character names)", () => {
    it("creates, releases, refreshes and destroys with a small head, and the CLI reads it", async () => {
        const namespace = freshNamespace();
        const big = ledgerWith(spec({ sliceName: "big", sliceSubnet: "10.0.0.0/8" }), 4_096, 20_000, 63);
        const timings: Record<string, number> = {};
        const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
            const started = performance.now();
            const result = await work();
            timings[name] = Math.round(performance.now() - started);
            return result;
        };
        expect((await timed("seed (create with 24,096 entries)", () => storeIn(namespace).compareAndSwap("big", undefined, big))).ok).toBe(true);
        // At 4,096 active clusters the slice is at maxClusters: one leaves, then a new one joins.
        await timed("release", () => releaseSubnet(storeIn(namespace), "big", big.allocations[0].clusterName));
        const created = await timed("create", () => allocateSubnet(storeIn(namespace), "big", "joining-" + "x".repeat(55)));
        expect(created.allocation.index).toBe(24_096);
        const refreshed = (await timed("refresh (load)", () => storeIn(namespace).load("big")))!;
        expect(refreshed.ledger.allocations).toHaveLength(24_097);
        expect(refreshed.storage!.usedBytes / refreshed.storage!.limitBytes).toBeLessThan(0.05);
        const leaving = big.allocations.filter((a) => a.status === "Allocated").slice(1, 65);
        const store = storeIn(namespace);
        await timed("destroy (64 releases at once)", () => Promise.all(leaving.map((a) => releaseSubnet(store, "big", a.clusterName))));
        const head = await headObject(namespace, "big");
        expect(Buffer.byteLength(JSON.stringify(head))).toBeLessThan(100_000);
        const status = await timed("slice-ipam status (new process)", () => cli(["status", "big"], namespace));
        expect(status).toMatchObject({ code: 0, stderr: "" });
        expect(status.stdout).toMatch(/^big +10\.0\.0\.0\/8 +24 +/m);
        const shown = await timed("slice-ipam show (new process)", () => cli(["show", "big", "--output", "json"], namespace));
        expect(shown.code).toBe(0);
        expect(JSON.parse(shown.stdout).allocations).toHaveLength(24_097);
        const final = (await storeIn(namespace).load("big"))!.ledger;
        expect(final.allocations.filter((a) => a.status !== "Released")).toHaveLength(4_096 - 1 - 64 + 1);
        console.log(`24,096-entry slice, Kubernetes store, ms: ${JSON.stringify(timings)}`);
    }, 180_000);
});

describe("Kubernetes store at 4,096 dual-stack clusters (63-character names)", () => {
    it("adds the IPv6 pool to 4,096 clusters rewriting no shard, and joins, leaves and reads within the limits", async () => {
        const namespace = freshNamespace();
        const ipv4 = ledgerWith(spec({ sliceName: "wide", sliceSubnet: "10.0.0.0/8", maxClusters: 4_096 }), 4_095, 0, 63);
        expect((await storeIn(namespace).compareAndSwap("wide", undefined, ipv4)).ok).toBe(true);
        const shardsBefore = await shardNames(namespace);
        const started = performance.now();
        const dual = spec({ sliceName: "wide", sliceSubnet: "10.0.0.0/8", maxClusters: 4_096, sliceSubnetIpv6: "fd00:1::/48", subnetSizeIpv6: 64 });
        await updateSliceSettings(storeIn(namespace), dual);
        const upgradeMs = Math.round(performance.now() - started);
        await settledStoreWork();
        expect(await shardNames(namespace)).toEqual(shardsBefore);
        const joined = await allocateSubnet(storeIn(namespace), "wide", "joining-" + "x".repeat(55));
        expect([joined.allocation.index, joined.allocation.subnetIpv6]).toEqual([4_095, "fd00:1:0:fff::/64"]);
        await releaseSubnet(storeIn(namespace), "wide", ipv4.allocations[7].clusterName);
        const loaded = (await storeIn(namespace).load("wide"))!;
        expect(loaded.ledger.allocations).toHaveLength(4_096);
        const ipv6Pool = ipv6PoolOf(dual)!;
        const unpaired = loaded.ledger.allocations.filter((entry) => {
            const found = indexOfSubnet(ipv6Pool, entry.subnetIpv6 ?? "");
            return !found.ok || found.index !== entry.index;
        });
        expect(unpaired).toEqual([]);
        expect(loaded.storage!.usedBytes / loaded.storage!.limitBytes).toBeLessThan(0.05);
        expect(Buffer.byteLength(JSON.stringify(await headObject(namespace, "wide")))).toBeLessThan(100_000);
        console.log(`4,096-cluster dual-stack slice, Kubernetes store: the IPv6 pool added in ${upgradeMs} ms`);
    }, 180_000);
});

describe("Kubernetes store on a cluster with only the SliceIpam CRD", () => {
    it("says to install the SliceIpamShard CRD, and writes nothing", async () => {
        const only = path.join(mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-crd-")), "sliceipam-only.yaml");
        writeFileSync(
            only,
            readFileSync(CRD, "utf8")
                .split(/^---$/m)
                .filter((doc) => !doc.includes("kind: SliceIpamShard"))
                .join("---"),
        );
        const partial = await startTestApiServer([only]);
        try {
            const store = new KubernetesLedgerStore({ namespace: "x", kubeconfig: partial.kubeconfig });
            const missingShards =
                /has no SliceIpamShard resource type \(sliceipamshards\.ipam\.kubeslice-ipam\.io\): install deploy\/kubernetes\/sliceipam-crd\.yaml/;
            await expect(store.compareAndSwap("blue", undefined, ledgerWith(spec(), 2, 0, 10))).rejects.toThrow(missingShards);
            // An empty slice needs no shard yet, but would at a later commit: refused at registration all the same.
            await expect(store.compareAndSwap("blue", undefined, ledgerWith(spec(), 0, 0, 10))).rejects.toThrow(missingShards);
            expect(await store.load("blue")).toBeUndefined();
        } finally {
            await partial.stop();
        }
    }, 120_000);
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
        // Its first request: the head's GET, or (the process has seen the head) its commit's: the head's write,
        // or creating a shard when the head holds as many recent changes as it may.
        expect(afterKill).toMatch(
            /^Kubernetes store https:\/\/127\.0\.0\.1:\d+ namespace ns-\w+: cannot (read slice "blue"|update slice "blue"|create shard [\w-]+ of slice "blue") \(after 3 attempts\)/,
        );
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

/** A ledger of `active` Allocated then `released` Released entries, names padded to `nameLength`. */
function ledgerWith(sliceSpec: ReturnType<typeof spec>, active: number, released: number, nameLength: number): SliceLedger {
    const pool = poolOf(sliceSpec);
    const at = new Date(Date.now() - 60_000).toISOString();
    const allocations: Allocation[] = Array.from({ length: active + released }, (_, index) => {
        const base = `c-${index}-`;
        const clusterName = nameLength > base.length ? base + "n".repeat(nameLength - base.length) : `c-${index}`;
        const entry = { clusterName, subnet: subnetTextAt(pool, index), index, allocatedAt: at };
        return index < active ? { ...entry, status: "Allocated" } : { ...entry, status: "Released", releasedAt: at };
    });
    return { ...newLedger(sliceSpec, new Date(Date.now() - 3_600_000)), allocations };
}

/** A slice as kubeslice-ipam 0.1 wrote it: everything in one SliceIpam, entries in status. */
async function writeLegacy(namespace: string, ledger: SliceLedger): Promise<void> {
    const created = (await objects().createNamespacedCustomObject({ ...GROUP, namespace, body: sliceIpamObject(ledger, namespace) })) as any;
    await objects().replaceNamespacedCustomObjectStatus({
        ...GROUP,
        namespace,
        name: ledger.spec.sliceName,
        body: { ...created, status: statusOf(ledger, new Date()) },
    });
}

/** Grows an annotation until the object is within ~1 KB of etcd's request limit. */
async function padToLimit(namespace: string, name: string): Promise<void> {
    let pad = 1_572_864 - Buffer.byteLength(JSON.stringify(await headObject(namespace, name))) - 1_000;
    for (let attempt = 0; attempt < 20; attempt++, pad -= 500) {
        const object = await headObject(namespace, name);
        object.metadata.annotations["test.kubeslice-ipam.io/padding"] = "p".repeat(Math.min(pad, 250_000));
        const ok = await objects()
            .replaceNamespacedCustomObject({ ...GROUP, namespace, name, body: object })
            .then(
                () => true,
                () => false,
            );
        if (ok) {
            return;
        }
    }
    throw new Error("could not pad the object to the size limit");
}

async function headObject(namespace: string, name: string): Promise<any> {
    return objects().getNamespacedCustomObject({ ...GROUP, namespace, name });
}

async function shardNames(namespace: string): Promise<string[]> {
    const listed = (await objects().listNamespacedCustomObject({ ...SHARDS, namespace })) as any;
    return listed.items.map((item: any) => item.metadata.name).sort();
}

function referencedShards(head: any): string[] {
    const shards: string[] = JSON.parse(head.metadata.annotations[ANNOTATION_LEDGER]).shards;
    return shards.map((ref) => `${head.metadata.name}-${ref.split(":")[0]}-${ref.split(":")[1]}`).sort();
}

const CLI = path.resolve(__dirname, "../../dist/bin/slice-ipam.js");
function cli(args: readonly string[], namespace: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const storeArgs = ["--store", "kubernetes", "--namespace", namespace, "--kubeconfig", server.kubeconfigPath];
    return new Promise((resolve) =>
        require("node:child_process").execFile(
            process.execPath,
            [CLI, ...args, ...storeArgs],
            { cwd: "/", timeout: 60_000, maxBuffer: 64 << 20 },
            (error: any, stdout: string, stderr: string) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        ),
    );
}

async function ledgerAnnotation(namespace: string): Promise<string> {
    const object = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" })) as any;
    return object.metadata.annotations[ANNOTATION_LEDGER];
}
