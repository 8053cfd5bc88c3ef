import { describe, expect, it } from "vitest";
import { allocate, reclaim, release, SliceLedger } from "../../provider/core/ledger";
import { applyUsage, inUseCount, UsageObservation } from "../../provider/core/usage";
import { connectedPodsOf } from "../../provider/core/worker-slice-status";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

const seen = (clusterName: string, connectedPods: number): UsageObservation => ({
    clusterName,
    found: true,
    workerSliceConfig: `blue-${clusterName}`,
    connectedPods,
    ignored: [],
});

describe("connectedPodsOf", () => {
    it.each([
        ["no status", undefined, 0, []],
        ["an empty status", {}, 0, []],
        ["null connectedAppPods", { connectedAppPods: null }, 0, []],
        ["one pod", { connectedAppPods: [{ podName: "a", podNamespace: "x", podIp: "10.0.0.1" }] }, 1, []],
        [
            "a pod listed twice",
            {
                connectedAppPods: [
                    { podName: "a", podNamespace: "x" },
                    { podName: "a", podNamespace: "x" },
                ],
            },
            1,
            [],
        ],
        [
            "one name in two namespaces",
            {
                connectedAppPods: [
                    { podName: "a", podNamespace: "x" },
                    { podName: "a", podNamespace: "y" },
                ],
            },
            2,
            [],
        ],
        ["an entry without podName", { connectedAppPods: [{ podIp: "10.0.0.1" }] }, 0, ["connectedAppPods[0]: podName is missing"]],
        ["an empty podName", { connectedAppPods: [{ podName: "" }] }, 0, ["connectedAppPods[0]: podName is empty"]],
        ["a non-object entry", { connectedAppPods: ["a", { podName: "b" }] }, 1, ["connectedAppPods[0]: not an object"]],
        [
            "a podIp of the wrong type",
            { connectedAppPods: [{ podName: "a", podIp: 7 }] },
            0,
            [expect.stringMatching(/^connectedAppPods\[0\]: .*string/)],
        ],
        ["connectedAppPods not a list", { connectedAppPods: "a" }, 0, [expect.stringMatching(/^status\.connectedAppPods: /)]],
        ["status not an object", "Ready", 0, [expect.stringMatching(/^status: /)]],
    ])("%s", (_name, status, count, ignored) => {
        const result = connectedPodsOf(status);
        expect(result.pods).toHaveLength(count);
        expect(result.ignored).toEqual(ignored);
    });
});

describe("applyUsage", () => {
    const twoClusters = (): SliceLedger => mustAllocate(mustAllocate(ledgerFor(), "a", at(0)).ledger, "b", at(0)).ledger;

    it("moves an Allocated cluster with connected pods to InUse and leaves the rest", () => {
        const ledger = twoClusters();
        const result = applyUsage(ledger, [seen("a", 2), seen("b", 0)]);
        expect(result.clusters.map((c) => [c.clusterName, c.outcome, c.status, c.subnet])).toEqual([
            ["a", "marked-in-use", "InUse", "10.1.0.0/24"],
            ["b", "no-connected-pods", "Allocated", "10.1.1.0/24"],
        ]);
        expect(result.ledger.allocations.map((e) => e.status)).toEqual(["InUse", "Allocated"]);
        expect(inUseCount(result.ledger)).toBe(1);
        expect(ledger.allocations.map((e) => e.status)).toEqual(["Allocated", "Allocated"]); // a new ledger, not a mutation
    });

    it("returns the very same ledger when nothing changes, so no write happens", () => {
        const ledger = twoClusters();
        const result = applyUsage(ledger, [seen("a", 0), { clusterName: "b", found: false, workerSliceConfig: "blue-b" }, seen("zz", 3)]);
        expect(result.ledger).toBe(ledger);
        expect(result.clusters.map((c) => c.outcome)).toEqual(["no-connected-pods", "no-worker-slice-config", "no-allocation"]);
    });

    it("keeps InUse when the pods are gone: there is no InUse → Allocated edge", () => {
        const inUse = applyUsage(twoClusters(), [seen("a", 1)]).ledger;
        for (const observation of [seen("a", 0), { clusterName: "a", found: false as const, workerSliceConfig: "blue-a" }]) {
            const result = applyUsage(inUse, [observation]);
            expect(result.ledger).toBe(inUse);
            expect(result.clusters[0]).toMatchObject({ outcome: "in-use", status: "InUse" });
        }
    });

    it("walks every state of the guide: Allocated → InUse → Released → reclaimed, and a rejoin starts Allocated", () => {
        let ledger = applyUsage(twoClusters(), [seen("a", 1)]).ledger;
        const released = release(ledger, "a", at(10));
        expect(released.value).toMatchObject({ changed: true, previousStatus: "InUse", allocation: { status: "Released" } });
        ledger = released.ledger;
        expect(applyUsage(ledger, [seen("a", 5)]).clusters[0]).toMatchObject({ outcome: "released", status: "Released" });
        const back = allocate(ledger, "a", at(20));
        expect(back.ok && back.value).toMatchObject({ outcome: "reused", allocation: { status: "Allocated", subnet: "10.1.0.0/24" } });
        const gone = reclaim(ledger, at(10 + 86_400));
        expect(gone.reclaimed.map((e) => e.clusterName)).toEqual(["a"]);
    });
});
