/**
 * The Kubernetes store under the engine's call pattern (issue 26): the head
 * view a process keeps (plans may use it for PLAN_VIEW_MS; writes only as the
 * basis of a compare-and-swap) and the group commit of one process's
 * concurrent changes (fewer head and status writes, each caller its own
 * result or error, nothing acknowledged before its commit).
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { settledStoreWork } from "../../provider/store/exit-hold";
import { PLAN_VIEW_MS } from "../../provider/store/kubernetes-head-view";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { RECENT_LIMIT } from "../../provider/store/sliceipam-recent";
import { ANNOTATION_LEDGER, shardObject, shardRef, UNREGISTERED } from "../../provider/store/sliceipam-shard";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { interceptClient } from "../support/kube-store-probes";

const CRD = path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml");
const GROUP = { group: "controller.kubeslice.io", version: "v1alpha1", plural: "sliceipams" };
const SHARDS = { group: "ipam.kubeslice-ipam.io", version: "v1alpha1", plural: "sliceipamshards" };
const VIEW = Symbol.for("kubeslice-ipam.kubernetes-head-view");

let server: TestApiServer;
beforeAll(async () => {
    server = await startTestApiServer([CRD]);
}, 1_200_000);
afterAll(async () => {
    await server?.stop();
});

const freshNamespace = () => `ns-${randomBytes(4).toString("hex")}`;
const storeIn = (namespace: string, options: { transientAttempts?: number } = {}) =>
    new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig, ...options });
const spec = (input: Record<string, unknown> = {}) => sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", ...input });
const objects = () => server.config.makeApiClient(server.client.CustomObjectsApi);

const restores: (() => void)[] = [];
afterEach(() => restores.splice(0).forEach((restore) => restore()));

/** Wraps one method of every store's API client for one namespace, restored after each test. */
function intercept(
    method: string,
    namespace: string,
    around: (real: () => Promise<unknown>, request: { readonly plural?: string }) => Promise<unknown>,
): void {
    restores.push(interceptClient(server, method, namespace, around));
}

/** Counts the requests of `methods` in `namespace`, of one resource type if given (they still reach the server). */
function counted(namespace: string, methods: readonly string[], plural?: string): Map<string, number> {
    const counts = new Map<string, number>(methods.map((method) => [method, 0]));
    for (const method of methods) {
        intercept(method, namespace, (real, request) => {
            if (plural === undefined || request.plural === plural) {
                counts.set(method, counts.get(method)! + 1);
            }
            return real();
        });
    }
    return counts;
}

/**
 * Runs `work` as another provider process would: without this process's
 * head view (and leaving it as it was: now stale).
 */
async function asAnotherProcess<T>(work: () => Promise<T>): Promise<T> {
    const registry = globalThis as unknown as Record<symbol, unknown>;
    const ours = registry[VIEW];
    delete registry[VIEW];
    try {
        return await work();
    } finally {
        registry[VIEW] = ours;
    }
}

async function until(condition: () => Promise<boolean>, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    // The server answers a first list of a resource 429 while its cache initializes: not yet.
    const met = () => condition().catch((error: { code?: number }) => (error?.code === 429 ? false : Promise.reject(error)));
    while (!(await met())) {
        if (Date.now() > deadline) throw new Error("condition not met in time");
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

const head = (namespace: string) => objects().getNamespacedCustomObject({ ...GROUP, namespace, name: "blue" }) as Promise<any>;

describe("Kubernetes store: the head view never decides a write", () => {
    it("a create from a stale view loses its compare-and-swap and is made again over the newer head", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        expect((await allocateSubnet(storeIn(namespace), "blue", "worker-1")).allocation.subnet).toBe("10.2.0.0/24");
        const other = await asAnotherProcess(() => allocateSubnet(storeIn(namespace), "blue", "worker-2"));
        expect(other.allocation.subnet).toBe("10.2.1.0/24");

        const writes = counted(namespace, ["replaceNamespacedCustomObject"]);
        const ours = await allocateSubnet(storeIn(namespace), "blue", "worker-3");
        expect(ours.allocation.subnet).toBe("10.2.2.0/24"); // not worker-2's, which the stale view had free
        expect(writes.get("replaceNamespacedCustomObject")).toBe(2); // the refused one over the stale version, then the commit
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        expect(stored.allocations.map((a) => [a.clusterName, a.subnet])).toEqual([
            ["worker-1", "10.2.0.0/24"],
            ["worker-2", "10.2.1.0/24"],
            ["worker-3", "10.2.2.0/24"],
        ]);
        expect(stored.counters.conflicts).toBe(1);
    });

    it("a change that would write nothing over the view is decided on a fresh read: no stale allocation is handed back", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec({ gracePeriodSeconds: 0 }));
        expect((await allocateSubnet(storeIn(namespace), "blue", "worker-1")).allocation.subnet).toBe("10.2.0.0/24");
        // Meanwhile, elsewhere: worker-1 leaves and worker-4 takes its subnet (no grace period).
        const taken = await asAnotherProcess(async () => {
            await releaseSubnet(storeIn(namespace), "blue", "worker-1");
            return allocateSubnet(storeIn(namespace), "blue", "worker-4");
        });
        expect(taken.allocation.subnet).toBe("10.2.0.0/24");

        // This process's view still has worker-1 holding 10.2.0.0/24: "existing" there would write nothing.
        const again = await allocateSubnet(storeIn(namespace), "blue", "worker-1");
        expect(again.allocation.subnet).toBe("10.2.1.0/24");
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        const active = stored.allocations.filter((a) => a.status !== "Released");
        expect(new Set(active.map((a) => a.subnet)).size).toBe(active.length);
        expect(active.map((a) => [a.clusterName, a.subnet]).sort()).toEqual([
            ["worker-1", "10.2.1.0/24"],
            ["worker-4", "10.2.0.0/24"],
        ]);
    });

    it("a release acknowledged from the view was written: the next reader of another process sees it", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        await allocateSubnet(storeIn(namespace), "blue", "worker-1");
        await asAnotherProcess(() => allocateSubnet(storeIn(namespace), "blue", "worker-2"));
        const released = await releaseSubnet(storeIn(namespace), "blue", "worker-2"); // stale view: worker-2 unknown there
        expect(released.changed).toBe(true);
        const seen = await asAnotherProcess(() => storeIn(namespace).load("blue"));
        expect(seen!.ledger.allocations.find((a) => a.clusterName === "worker-2")?.status).toBe("Released");
    });

    it(`plans (previews, checks) may use the head seen at most ${PLAN_VIEW_MS} ms ago; reads and later plans read the server`, async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        await allocateSubnet(storeIn(namespace), "blue", "worker-1");
        await asAnotherProcess(() => allocateSubnet(storeIn(namespace), "blue", "worker-2"));
        const reads = counted(namespace, ["getNamespacedCustomObject"]);

        const planned = await storeIn(namespace).loadToPlan("blue");
        expect(planned!.ledger.allocations.map((a) => a.clusterName)).toEqual(["worker-1"]); // stale, and no request
        expect(reads.get("getNamespacedCustomObject")).toBe(0);

        await new Promise((resolve) => setTimeout(resolve, PLAN_VIEW_MS + 50));
        const later = await storeIn(namespace).loadToPlan("blue");
        expect(later!.ledger.allocations.map((a) => a.clusterName)).toEqual(["worker-1", "worker-2"]);
        expect(reads.get("getNamespacedCustomObject")).toBe(1);

        await asAnotherProcess(() => allocateSubnet(storeIn(namespace), "blue", "worker-3"));
        const read = await storeIn(namespace).load("blue"); // a refresh's read never uses the view
        expect(read!.ledger.allocations.map((a) => a.clusterName)).toEqual(["worker-1", "worker-2", "worker-3"]);
    });
});

describe("Kubernetes store: one process's concurrent changes committed together", () => {
    it("30 concurrent creates become a few head writes and one status write, each caller with its own result or error", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const writes = counted(namespace, ["replaceNamespacedCustomObject", "replaceNamespacedCustomObjectStatus"]);
        const clusters = Array.from({ length: 30 }, (_, i) => `worker-${String(i).padStart(2, "0")}`);
        // As the engine calls a provider: a store object per call, all at once.
        const outcomes = await Promise.allSettled([
            ...clusters.map((cluster) => allocateSubnet(storeIn(namespace), "blue", cluster)),
            allocateSubnet(storeIn(namespace), "blue", "pinned-outside", undefined, { requestedSubnet: "10.3.0.0/24", pinned: true }),
        ]);
        const granted = outcomes.slice(0, 30).map((outcome) => {
            expect(outcome.status).toBe("fulfilled");
            return (outcome as PromiseFulfilledResult<Awaited<ReturnType<typeof allocateSubnet>>>).value.allocation;
        });
        expect(granted.map((a) => a.clusterName)).toEqual(clusters); // each caller its own result
        expect(new Set(granted.map((a) => a.subnet)).size).toBe(30);
        expect(outcomes[30].status).toBe("rejected"); // and its own error, failing no other caller
        expect(String((outcomes[30] as PromiseRejectedResult).reason)).toMatch(/10\.3\.0\.0\/24/);

        // The burst's status projection is written once its callers have their results.
        await settledStoreWork();
        const headWrites = writes.get("replaceNamespacedCustomObject")!;
        const statusWrites = writes.get("replaceNamespacedCustomObjectStatus")!;
        expect(headWrites).toBeGreaterThanOrEqual(1);
        expect(headWrites).toBeLessThanOrEqual(5);
        expect(statusWrites).toBeGreaterThanOrEqual(1);
        expect(statusWrites).toBeLessThan(headWrites + 1);

        // Nothing acknowledged before its commit: every result is in the stored ledger.
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        for (const allocation of granted) {
            expect(stored.allocations.find((a) => a.clusterName === allocation.clusterName)?.subnet).toBe(allocation.subnet);
        }
        // The projection describes the last commit, and the replaced shards are gone.
        await until(async () => (await head(namespace)).status?.availableSubnets === 256 - 30);
        await until(async () => {
            const object = await head(namespace);
            const referenced = (JSON.parse(object.metadata.annotations[ANNOTATION_LEDGER]).shards as string[]).map(
                (ref) => `blue-${ref.split(":")[0]}-${ref.split(":")[1]}`,
            );
            const listed = ((await objects().listNamespacedCustomObject({ ...SHARDS, namespace })) as any).items.map((s: any) => s.metadata.name);
            return JSON.stringify(listed.sort()) === JSON.stringify(referenced.sort());
        });
    });

    it("a head write refused for a batch fails every caller of that batch, and nothing of it is stored", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        await allocateSubnet(storeIn(namespace), "blue", "worker-0");
        intercept("replaceNamespacedCustomObject", namespace, async () => {
            throw new server.client.ApiException(
                422,
                "Unprocessable Entity",
                JSON.stringify({ kind: "Status", reason: "Invalid", message: "refused by a test admission webhook" }),
                {},
            );
        });
        const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => allocateSubnet(storeIn(namespace), "blue", `worker-${i + 1}`)));
        for (const outcome of outcomes) {
            expect(outcome.status).toBe("rejected");
            expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/refused by a test admission webhook/);
        }
        restores.splice(0).forEach((restore) => restore());
        const stored = (await storeIn(namespace).load("blue"))!.ledger;
        expect(stored.allocations.map((a) => a.clusterName)).toEqual(["worker-0"]);
    });
});

describe("Kubernetes store: a commit of a few changes writes the head alone", () => {
    /** As a process that has seen nothing of the slice: neither its head nor any shard. */
    async function freshRead(namespace: string) {
        const registry = globalThis as unknown as Record<symbol, unknown>;
        const cache = Symbol.for("kubeslice-ipam.kubernetes-shard-cache");
        const ours = registry[cache];
        delete registry[cache];
        try {
            return await asAnotherProcess(async () => (await storeIn(namespace).load("blue"))!.ledger);
        } finally {
            registry[cache] = ours;
        }
    }

    it("holds up to RECENT_LIMIT changes in the head, then writes shards; every reader reads the same ledger at every step", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        const requests = counted(namespace, ["createNamespacedCustomObject", "deleteNamespacedCustomObject"], SHARDS.plural);
        const shardWrites = () => requests.get("createNamespacedCustomObject")! + requests.get("deleteNamespacedCustomObject")!;
        const steps: { change: string; shardWrites: number }[] = [];
        const clusters = Array.from({ length: 2 * RECENT_LIMIT + 8 }, (_, i) => `worker-${String(i).padStart(3, "0")}`);
        for (const [i, cluster] of clusters.entries()) {
            const before = shardWrites();
            if (i % 5 === 4) {
                await releaseSubnet(storeIn(namespace), "blue", clusters[i - 2]);
            }
            await allocateSubnet(storeIn(namespace), "blue", cluster);
            steps.push({ change: cluster, shardWrites: shardWrites() - before });
            const own = (await storeIn(namespace).load("blue"))!.ledger;
            expect(await freshRead(namespace)).toEqual(own);
            expect(own.allocations.find((a) => a.clusterName === cluster)?.status).toBe("Allocated");
        }
        await settledStoreWork(); // replaced shards are deleted after the burst
        const withShardWrites = steps.filter((step) => step.shardWrites > 0);
        // 64 allocations and 14 releases (78 changes): a shard write per RECENT_LIMIT + 1 changes, not per change.
        expect(withShardWrites.length).toBeGreaterThanOrEqual(1);
        expect(withShardWrites.length).toBeLessThanOrEqual(Math.ceil(steps.length / RECENT_LIMIT));
        const object = await head(namespace);
        const annotation = JSON.parse(object.metadata.annotations[ANNOTATION_LEDGER]);
        expect(annotation.format).toBe(3);
        expect(annotation.recent.length + annotation.vacated.length).toBeLessThanOrEqual(RECENT_LIMIT);
        // Only the shards the head references are left.
        const listed = ((await objects().listNamespacedCustomObject({ ...SHARDS, namespace })) as any).items.map((s: any) => s.metadata.name);
        expect(listed.sort()).toEqual((annotation.shards as string[]).map((ref) => `blue-${ref.split(":")[0]}-${ref.split(":")[1]}`).sort());
    }, 120_000);

    it("reads a head of format 2 (shards only) as before, and its next commit writes format 3", async () => {
        const namespace = freshNamespace();
        await registerSlice(storeIn(namespace), spec());
        for (const cluster of ["worker-0", "worker-1"]) {
            await allocateSubnet(storeIn(namespace), "blue", cluster);
        }
        // What 0.x before recent changes wrote: every entry in shards, format 2.
        const ledger = await freshRead(namespace);
        const entries = ledger.allocations;
        const ref = shardRef("blue", 0, "f0f0f0f0f0f0", entries);
        await objects().createNamespacedCustomObject({ ...SHARDS, namespace, body: shardObject(namespace, "blue", ref, entries, UNREGISTERED) });
        const object = await head(namespace);
        const annotation = JSON.parse(object.metadata.annotations[ANNOTATION_LEDGER]);
        object.metadata.annotations[ANNOTATION_LEDGER] = JSON.stringify({
            ...annotation,
            format: 2,
            recent: undefined,
            vacated: undefined,
            shards: [`0:f0f0f0f0f0f0:${ref.digest}:${ref.count}`],
        });
        await objects().replaceNamespacedCustomObject({ ...GROUP, namespace, name: "blue", body: object });
        expect(await freshRead(namespace)).toEqual(ledger);
        await allocateSubnet(storeIn(namespace), "blue", "worker-2");
        const after = JSON.parse((await head(namespace)).metadata.annotations[ANNOTATION_LEDGER]);
        expect(after).toMatchObject({ format: 3, shards: [`0:f0f0f0f0f0f0:${ref.digest}:2`], vacated: [] });
        expect(after.recent.map((entry: { clusterName: string }) => entry.clusterName)).toEqual(["worker-2"]);
        expect((await freshRead(namespace)).allocations.map((a) => a.clusterName)).toEqual(["worker-0", "worker-1", "worker-2"]);
    });
});
