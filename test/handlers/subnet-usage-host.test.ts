/**
 * The component's usage route with the file store: SubnetUsage as the engine
 * runs it (serialized, in Pulumi's real dynamic-provider host), fed the status
 * of a WorkerSliceConfig as the Kubernetes provider would have read it.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UNKNOWN_VALUE } from "../../provider/handlers/inputs";
import { findRepoRoot, HostedIpam, HostedProvider, startHostedIpam } from "../support/provider-host";

const repo = findRepoRoot(__dirname);
let ipam: HostedIpam;
let usage: HostedProvider;
let store: { kind: "file"; directory: string };

beforeAll(async () => {
    ipam = await startHostedIpam({ routeLogsToEngine: true });
    const resources = require(path.join(repo, "dist/resources")) as typeof import("../../resources");
    usage = await ipam.host.provider(resources.subnetUsageProvider, "SubnetUsage");
    store = { kind: "file", directory: path.join(ipam.workdir, "store") };
    const slice = await ipam.slices.check({}, { sliceName: "blue", sliceSubnet: "10.2.0.0/16", store });
    await ipam.slices.create(slice.inputs);
});
afterAll(async () => {
    await ipam?.close();
});

const status = (...podNames: string[]) => ({
    connectedAppPods: podNames.map((podName, i) => ({ podName, podNamespace: "shop", podIp: `10.244.0.${i + 1}` })),
});
const inputs = (clusterName: string, workerSliceConfigStatus: unknown) => ({
    sliceName: "blue",
    clusterName,
    workerSliceConfig: `blue-${clusterName}`,
    workerSliceConfigStatus,
    store,
});

describe("SubnetUsage through the host (file store)", () => {
    it("marks InUse when the status names a connected pod, keeps it when the pods are gone, and warns on delete", async () => {
        const { inputs: allocationInputs } = await ipam.allocations.check({}, { sliceName: "blue", clusterName: "worker-1", store });
        const allocation = await ipam.allocations.create(allocationInputs);

        const empty = await usage.check({}, inputs("worker-1", undefined));
        const created = await usage.create(empty.inputs);
        expect(created.properties).toMatchObject({ allocationStatus: "Allocated", connectedPods: 0 });

        // A preview that cannot know the status yet (the live object has none) plans no change.
        const planning = { ...empty.inputs, workerSliceConfigStatus: UNKNOWN_VALUE };
        expect((await usage.diff(created.id, created.properties, planning)).changes).toBe("none");

        const reported = await usage.check({}, inputs("worker-1", status("cart-0", "cart-1")));
        expect((await usage.diff(created.id, created.properties, reported.inputs)).changes).toBe("some");
        const marked = await usage.update(created.id, created.properties, reported.inputs);
        expect(marked.properties).toMatchObject({ allocationStatus: "InUse", connectedPods: 2 });
        expect((await ipam.allocations.read(allocation.id, allocation.properties, allocationInputs)).properties.status).toBe("InUse");

        const gone = await usage.check({}, inputs("worker-1", { connectedAppPods: [] }));
        const after = await usage.update(created.id, marked.properties, gone.inputs);
        expect(after.properties).toMatchObject({ allocationStatus: "InUse", connectedPods: 0 });

        await usage.delete(created.id, marked.properties);
        await vi.waitFor(() =>
            expect(
                ipam.host.logs.filter(
                    (log) =>
                        log.severity === "warning" &&
                        log.message.includes(
                            'cluster "worker-1" is InUse and its WorkerSliceConfig blue-worker-1 is being removed; it reported 2 connected app pod(s)',
                        ),
                ),
            ).toHaveLength(1),
        );
        // Release is the allocation's: Released from InUse as from Allocated.
        await ipam.allocations.delete(allocation.id, allocation.properties);
        expect((await ipam.allocations.read(allocation.id, allocation.properties, allocationInputs)).properties.status).toBe("Released");
    });

    it("fails naming the slice, the cluster and what to do when the cluster has no allocation", async () => {
        const checked = await usage.check({}, inputs("worker-9", status("cart-0")));
        await expect(usage.create(checked.inputs)).rejects.toThrow(
            'slice "blue" has no allocation for cluster "worker-9", whose WorkerSliceConfig blue-worker-9 reports usage; run pulumi up again',
        );
    });

    it("refuses inputs check would refuse, naming the property", async () => {
        const checked = await usage.check({}, { ...inputs("Bad_Name", status()), workerSliceConfig: "" });
        expect(checked.failures.map((f) => f.property).sort()).toEqual(["clusterName", "workerSliceConfig"]);
    });
});
