/**
 * The Kubernetes store at the exact interleavings the torture suite can only
 * hit by chance: a server answering its plain `404 page not found` (as while
 * it starts or shuts down), and the orphan sweep between another writer's
 * shard creation and its head write, with a clock hours ahead of the server.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, findSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { RECENT_LIMIT } from "../../provider/store/sliceipam-recent";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import * as probes from "../support/kube-store-probes";
import { interceptClient } from "../support/kube-store-probes";

const CRD = path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml");

let server: TestApiServer;
beforeAll(async () => {
    server = await startTestApiServer([CRD]);
}, 1_200_000);
afterAll(async () => {
    await server?.stop();
});

const freshNamespace = () => `ns-${randomBytes(4).toString("hex")}`;
const storeIn = (namespace: string) => new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });
const spec = () => sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" });

const restores: (() => void)[] = [];
afterEach(() => restores.splice(0).forEach((restore) => restore()));

/** A fault in front of the real server for one namespace, restored after each test. */
function intercept(method: string, namespace: string, fault: (real: () => Promise<unknown>) => Promise<unknown>): void {
    restores.push(interceptClient(server, method, namespace, fault));
}

const unreferencedShards = (namespace: string) => probes.unreferencedShards(server, namespace, "blue");
const missingShards = (namespace: string) => probes.missingShards(server, namespace, "blue");

/** What an API server answers for a custom resource before its handlers are installed: not a Kubernetes Status. */
function plainNotFound(): Error {
    return new server.client.ApiException(404, "Unknown API Status Code!", "404 page not found\n", {
        "content-type": "text/plain; charset=utf-8",
    });
}

/**
 * A provider process that has not seen the slice yet (no head view: its
 * first request of an operation is the head's GET), as a new process is.
 */
const forgetHeads = () => delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("kubeslice-ipam.kubernetes-head-view")];

/** Makes the next `count` GETs in `namespace` answer a plain 404, then lets requests through to the real server. */
function startingServer(namespace: string, count: number): { served: () => number } {
    let refused = 0;
    intercept("getNamespacedCustomObject", namespace, async (real) => {
        if (refused < count) {
            refused++;
            throw plainNotFound();
        }
        return real();
    });
    return { served: () => refused };
}

describe("Kubernetes store: a plain 404 is not absence", () => {
    it("a release during the server's start-up window is retried and written, never acknowledged without its write", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        await allocateSubnet(storeIn(namespace), "blue", "worker-1");
        forgetHeads();
        const fault = startingServer(namespace, 3);
        await releaseSubnet(storeIn(namespace), "blue", "worker-1");
        expect(fault.served()).toBe(3);
        const stored = await findSubnet(storeIn(namespace), "blue", "worker-1");
        expect(stored?.status).toBe("Released");
    });

    it("a read (refresh) during the window still finds the allocation; an allocation still finds the slice", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        await allocateSubnet(storeIn(namespace), "blue", "worker-1");
        startingServer(namespace, 2);
        expect((await findSubnet(storeIn(namespace), "blue", "worker-1"))?.subnet).toBe("10.2.0.0/24");
        startingServer(namespace, 2);
        expect((await allocateSubnet(storeIn(namespace), "blue", "worker-2")).allocation.subnet).toBe("10.2.1.0/24");
    });

    it("a server that keeps answering a plain 404 is reported as such, with what to do, and nothing is acknowledged", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        await allocateSubnet(storeIn(namespace), "blue", "worker-1");
        const store = new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig, transientAttempts: 3 });
        forgetHeads();
        startingServer(namespace, Number.POSITIVE_INFINITY);
        await expect(releaseSubnet(store, "blue", "worker-1")).rejects.toThrow(
            /cannot read slice "blue": .*kept answering 404 without saying that the object is missing.*install deploy\/kubernetes\/sliceipam-crd\.yaml/,
        );
        restores.splice(0).forEach((restore) => restore()); // the server finished starting
        expect((await findSubnet(storeIn(namespace), "blue", "worker-1"))?.status).toBe("Allocated");
    });

    it("a process that has seen the head, facing a server answering every request with a plain 404, acknowledges nothing", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        await allocateSubnet(storeIn(namespace), "blue", "worker-1"); // the head view now holds the slice
        const store = new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig, transientAttempts: 3 });
        const calls = new Map<string, number>();
        for (const method of [
            "getNamespacedCustomObject",
            "createNamespacedCustomObject",
            "replaceNamespacedCustomObject",
            "replaceNamespacedCustomObjectStatus",
            "deleteNamespacedCustomObject",
            "listNamespacedCustomObjectWithHttpInfo",
        ]) {
            intercept(method, namespace, async () => {
                calls.set(method, (calls.get(method) ?? 0) + 1);
                throw plainNotFound();
            });
        }
        await expect(releaseSubnet(store, "blue", "worker-1")).rejects.toThrow(/kept answering 404|no SliceIpamShard resource type/);
        await expect(allocateSubnet(store, "blue", "worker-2")).rejects.toThrow(/kept answering 404|no SliceIpamShard resource type/);
        // A release needs no new shard (sliceipam-recent.ts): its head write met the plain 404 too, and was not taken for a deleted slice.
        expect(calls.get("replaceNamespacedCustomObject") ?? 0).toBeGreaterThan(0);
        restores.splice(0).forEach((restore) => restore()); // the server finished starting
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        expect(stored.allocations.map((a) => [a.clusterName, a.status])).toEqual([["worker-1", "Allocated"]]);
    });

    it("a NotFound Status for the object itself still means the slice is not registered", async () => {
        const store = storeIn(freshNamespace());
        expect(await store.load("blue")).toBeUndefined();
        await expect(allocateSubnet(store, "blue", "worker-1")).rejects.toThrow(/slice "blue" is not registered/);
    });
});

describe("Kubernetes store: the orphan sweep and clocks", () => {
    /** As many allocations as the head holds without shards: the next commit writes a shard. */
    async function fillRecentChanges(namespace: string): Promise<string[]> {
        const earlier = Array.from({ length: RECENT_LIMIT }, (_, i) => `worker-1-${i}`);
        for (const cluster of earlier) {
            await allocateSubnet(storeIn(namespace), "blue", cluster);
        }
        return earlier;
    }

    it("never deletes the shards of a commit in flight, even with a clock 2 hours ahead of the server", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const earlier = await fillRecentChanges(namespace);

        // A writer stopped between creating its shard and writing the head.
        let reachedHeadWrite!: () => void;
        const atHeadWrite = new Promise<void>((resolve) => (reachedHeadWrite = resolve));
        let proceed!: () => void;
        const released = new Promise<void>((resolve) => (proceed = resolve));
        intercept("replaceNamespacedCustomObject", namespace, async (real) => {
            reachedHeadWrite();
            await released;
            return real();
        });
        const inFlight = allocateSubnet(storeIn(namespace), "blue", "worker-2");
        await atHeadWrite;
        expect(await unreferencedShards(namespace)).toHaveLength(1); // its shard, not referenced yet

        const now = Date.now();
        const clock = vi.spyOn(Date, "now").mockReturnValue(now + 2 * 3_600_000);
        try {
            await storeIn(namespace).sweep("blue");
        } finally {
            clock.mockRestore();
        }
        proceed();
        expect((await inFlight).allocation.subnet).toBe(`10.2.${RECENT_LIMIT}.0/24`);
        expect(await missingShards(namespace)).toEqual([]);
        const loaded = await storeIn(namespace).load("blue");
        expect(loaded?.ledger.allocations.map((a) => a.clusterName)).toEqual([...earlier, "worker-2"]);
    });

    it("deletes a loser's shards once the head has moved past the commit they were for", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const earlier = await fillRecentChanges(namespace);
        const before = await storeIn(namespace).load("blue");
        // A writer whose head write lost its connection: the outcome is unknown, so it leaves its shard
        // (one change more than the head holds: the commit writes its entries to a shard).
        const orphanMaker = new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig, transientAttempts: 1 });
        intercept("replaceNamespacedCustomObject", namespace, async () => {
            throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        });
        await expect(allocateSubnet(orphanMaker, "blue", "worker-9")).rejects.toThrow(/socket hang up/);
        restores.splice(0).forEach((restore) => restore());
        expect(before).toBeDefined();
        expect(await unreferencedShards(namespace)).toHaveLength(1);
        // Same head as the orphan's commit basis: that write could still land, so the shard stays.
        expect(await storeIn(namespace).sweep("blue")).toBe(0);
        expect(await unreferencedShards(namespace)).toHaveLength(1);
        await allocateSubnet(storeIn(namespace), "blue", "worker-2");
        await storeIn(namespace).sweep("blue");
        expect(await unreferencedShards(namespace)).toEqual([]);
        const loaded = await storeIn(namespace).load("blue");
        expect(loaded?.ledger.allocations.map((a) => a.clusterName)).toEqual([...earlier, "worker-2"]);
    });
});
