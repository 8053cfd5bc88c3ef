import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KubeSliceIpam } from "../../components";
import * as handlers from "../../provider/handlers";
import { makeTempDir } from "../support/temp-dir";

/**
 * Runtime mocks whose resources behave like the real ones: SliceIpam and
 * SubnetAllocation registrations run the providers' own check and create
 * against a file store in a temp directory, so outputs are what a deployment
 * would produce. Every registration is recorded for graph assertions.
 */
interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
}
const registrations: Registration[] = [];
const SLICE_TYPE = "pulumi-nodejs:dynamic/kubeslice-ipam:SliceIpam";
const ALLOCATION_TYPE = "pulumi-nodejs:dynamic/kubeslice-ipam:SubnetAllocation";
const USAGE_TYPE = "pulumi-nodejs:dynamic/kubeslice-ipam:SubnetUsage";
const WORKER_SLICE_CONFIG_TYPE = "kubernetes:worker.kubeslice.io/v1alpha1:WorkerSliceConfig";
/** The status the mocked Kubernetes provider reads back for applied WorkerSliceConfigs (what the worker wrote). */
let workerStatus: unknown;

void pulumi.runtime.setMocks(
    {
        async newResource(args) {
            registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
            const { __provider, ...inputs } = args.inputs;
            void __provider;
            if (args.type === WORKER_SLICE_CONFIG_TYPE) {
                return { id: `${args.name}-id`, state: { ...args.inputs, status: workerStatus } };
            }
            const implementation =
                args.type === SLICE_TYPE
                    ? handlers.sliceIpam
                    : args.type === ALLOCATION_TYPE
                      ? handlers.subnetAllocation
                      : args.type === USAGE_TYPE
                        ? handlers.subnetUsage
                        : undefined;
            if (implementation === undefined) {
                return { id: `${args.name}-id`, state: args.inputs };
            }
            const checked = await implementation.check({}, inputs);
            if (checked.failures?.length) {
                throw new Error(checked.failures.map((f) => f.reason).join("; "));
            }
            const created = await implementation.create(checked.inputs);
            return { id: created.id, state: created.outs };
        },
        call: (args) => args.inputs,
    },
    "kubeslice-ipam",
    "test",
    false,
);

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

let temp: ReturnType<typeof makeTempDir>;
let store: { kind: "file"; directory: string };
let stores = 0;
beforeAll(() => {
    temp = makeTempDir();
});
afterAll(() => temp.remove());
// Capacity outputs read the store after the allocations settle; a test that
// returns before they resolve would leave them reading a store being removed.
const built: KubeSliceIpam[] = [];
function track(ipam: KubeSliceIpam): KubeSliceIpam {
    built.push(ipam);
    return ipam;
}
afterEach(async () => {
    await Promise.all(built.splice(0).map((ipam) => valueOf(ipam.utilization)));
});
beforeEach(() => {
    registrations.length = 0;
    workerStatus = undefined;
    store = { kind: "file", directory: path.join(temp.dir, `store-${++stores}`) };
});

const names = (type: string) =>
    registrations
        .filter((r) => r.type === type)
        .map((r) => r.name)
        .sort();

describe("KubeSliceIpam", () => {
    it("creates one SliceIpam and one SubnetAllocation per cluster, parented and keyed by cluster name", async () => {
        const ipam = track(
            new KubeSliceIpam("blue", {
                sliceName: "blue",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.2.0.0/16",
                clusters: ["worker-1", "worker-2"],
                store,
            }),
        );
        expect(await valueOf(ipam.subnets)).toEqual({ "worker-1": "10.2.0.0/24", "worker-2": "10.2.1.0/24" });
        expect(names(SLICE_TYPE)).toEqual(["blue"]);
        expect(names(ALLOCATION_TYPE)).toEqual(["blue-worker-1", "blue-worker-2"]);
        const urn = await valueOf(ipam.urn);
        expect(urn).toContain("kubeslice-ipam:index:KubeSliceIpam");
        expect(await valueOf(ipam.slice.urn)).toContain("kubeslice-ipam:index:KubeSliceIpam$pulumi-nodejs:dynamic/kubeslice-ipam:SliceIpam::blue");
        const allocationInputs = registrations.find((r) => r.name === "blue-worker-1")!.inputs;
        expect(allocationInputs).toMatchObject({ sliceName: "blue", clusterName: "worker-1", store });
    });

    it("passes reserved ranges (an Output among them) to its SliceIpam and plans around them; planMustHold reaches each allocation", async () => {
        const ipam = track(
            new KubeSliceIpam("teal", {
                sliceName: "teal",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.8.0.0/16",
                reservedRanges: [pulumi.output("10.8.0.0/23"), "172.16.0.0/12"],
                planMustHold: true,
                clusters: ["worker-1", "worker-2"],
                store,
            }),
        );
        expect(await valueOf(ipam.subnets)).toEqual({ "worker-1": "10.8.2.0/24", "worker-2": "10.8.3.0/24" });
        expect(registrations.find((r) => r.type === SLICE_TYPE)!.inputs).toMatchObject({ reservedRanges: ["10.8.0.0/23", "172.16.0.0/12"] });
        expect(registrations.find((r) => r.name === "teal-worker-1")!.inputs).toMatchObject({
            requestedSubnet: "10.8.2.0/24",
            requestedSubnetIsPlan: true,
            planMustHold: true,
        });
        expect(await valueOf(ipam.availableSubnets)).toBe(256 - 2 - 2);
        expect(await valueOf(ipam.utilization)).toBe(2 / 254);
    });

    it("refuses bad reserved ranges and planMustHold with the other argument problems, before registering anything", () => {
        expect(
            () =>
                new KubeSliceIpam("bad", {
                    sliceName: "bad",
                    namespace: "kubeslice-cisco",
                    sliceSubnet: "10.9.0.0/16",
                    reservedRanges: ["10.9.0.1/24"],
                    planMustHold: "yes" as unknown as boolean,
                    clusters: ["worker-1"],
                    store,
                }),
        ).toThrow(
            'KubeSliceIpam "bad" has invalid arguments:\n' +
                '  - reservedRanges[0] "10.9.0.1/24" has host bits set; did you mean "10.9.0.0/24"?\n' +
                '  - planMustHold must be true or false, not "yes"',
        );
        expect(registrations).toEqual([]);
    });

    it("reports allocations, manifests and capacity", async () => {
        const ipam = track(
            new KubeSliceIpam("red", {
                sliceName: "red",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.3.0.0/16",
                clusters: ["worker-3", "worker-4"],
                store,
                workerSliceConfig: { sliceType: "Application", qosProfileDetails: { queueType: "HTB", priority: 1 } },
            }),
        );
        const allocations = await valueOf(ipam.allocations);
        expect(allocations["worker-4"]).toMatchObject({ subnet: "10.3.1.0/24", index: 1, status: "Allocated", reused: false });
        const manifests = await valueOf(ipam.manifests);
        expect(Object.keys(manifests)).toEqual(["worker-3", "worker-4"]);
        expect(manifests["worker-4"]).toContain("name: red-worker-4\n");
        expect(manifests["worker-4"]).toContain("clusterSubnetCIDR: 10.3.1.0/24\n");
        expect(manifests["worker-4"]).toContain("octet: 1\n");
        expect(manifests["worker-4"]).toContain("queueType: HTB\n");
        expect(await valueOf(ipam.totalSubnets)).toBe(256);
        expect(await valueOf(ipam.totalSubnetsExact)).toBe("256");
        expect(await valueOf(ipam.availableSubnets)).toBe(254);
        expect(await valueOf(ipam.utilization)).toBeCloseTo(2 / 256);
    });

    it("reports an IPv6 slice's /64s, manifests and exact capacity", async () => {
        const ipam = track(
            new KubeSliceIpam("six", {
                sliceName: "six",
                namespace: "kubeslice-cisco",
                sliceSubnet: "fd00::/8",
                subnetSize: 64,
                clusters: ["worker-1", "worker-2"],
                pinnedSubnets: { "worker-2": "fd00:0:0:7::/64" },
                store,
            }),
        );
        expect(await valueOf(ipam.subnets)).toEqual({ "worker-1": "fd00::/64", "worker-2": "fd00:0:0:7::/64" });
        const manifests = await valueOf(ipam.manifests);
        expect(manifests["worker-2"]).toContain("sliceSubnet: fd00::/8\n");
        expect(manifests["worker-2"]).toContain("clusterSubnetCIDR: fd00:0:0:7::/64\n");
        expect(manifests["worker-2"]).toContain("octet: 7\n");
        expect(await valueOf(ipam.totalSubnets)).toBe(2 ** 56);
        expect(await valueOf(ipam.totalSubnetsExact)).toBe("72057594037927936");
        expect(await valueOf(ipam.availableSubnets)).toBe(4_094);
    });

    it("reports a dual-stack slice's subnets of both families, each cluster's at one index, and annotates the manifests", async () => {
        const ipam = track(
            new KubeSliceIpam("duo", {
                sliceName: "duo",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.4.0.0/16",
                sliceSubnetIpv6: "fd00:4::/48",
                subnetSizeIpv6: 64,
                clusters: ["worker-1", "worker-2", "worker-3"],
                pinnedSubnets: { "worker-3": "10.4.9.0/24" },
                pinnedSubnetsIpv6: { "worker-2": "fd00:4:0:7::/64", "worker-3": "fd00:4:0:9::/64" },
                store,
            }),
        );
        expect(await valueOf(ipam.subnets)).toEqual({ "worker-1": "10.4.0.0/24", "worker-2": "10.4.7.0/24", "worker-3": "10.4.9.0/24" });
        expect(await valueOf(ipam.subnetsIpv6)).toEqual({ "worker-1": "fd00:4::/64", "worker-2": "fd00:4:0:7::/64", "worker-3": "fd00:4:0:9::/64" });
        expect((await valueOf(ipam.allocations))["worker-2"]).toMatchObject({ subnet: "10.4.7.0/24", subnetIpv6: "fd00:4:0:7::/64", index: 7 });
        expect(registrations.find((r) => r.type === SLICE_TYPE)!.inputs).toMatchObject({ sliceSubnetIpv6: "fd00:4::/48", subnetSizeIpv6: 64 });
        expect(registrations.filter((r) => r.type === ALLOCATION_TYPE).map((r) => r.inputs.sliceSubnetIpv6)).toEqual([
            "fd00:4::/48",
            "fd00:4::/48",
            "fd00:4::/48",
        ]);
        const manifests = await valueOf(ipam.manifests);
        expect(manifests["worker-2"]).toContain("ipam.kubeslice-ipam.io/cluster-subnet-ipv6: fd00:4:0:7::/64\n");
        expect(manifests["worker-2"]).toContain("ipam.kubeslice-ipam.io/slice-subnet-ipv6: fd00:4::/48\n");
        expect(manifests["worker-2"]).toContain("clusterSubnetCIDR: 10.4.7.0/24\n");
        expect(await valueOf(ipam.totalSubnets)).toBe(256);
    });

    it("sends a single-stack slice's children exactly what it did before dual-stack slices, and reports no IPv6 subnets", async () => {
        const ipam = track(
            new KubeSliceIpam("uno", { sliceName: "uno", namespace: "kubeslice-cisco", sliceSubnet: "10.5.0.0/16", clusters: ["w"], store }),
        );
        expect(await valueOf(ipam.subnetsIpv6)).toEqual({});
        expect(registrations.find((r) => r.type === SLICE_TYPE)!.inputs).not.toHaveProperty("sliceSubnetIpv6");
        expect(registrations.find((r) => r.type === ALLOCATION_TYPE)!.inputs).not.toHaveProperty("sliceSubnetIpv6");
        expect((await valueOf(ipam.manifests)).w).not.toContain("annotations");
    });

    it("refuses IPv6 pins without an IPv6 pool, and IPv6 pool arguments that break its rules, with the other problems", () => {
        expect(
            () =>
                new KubeSliceIpam("bad", {
                    sliceName: "bad",
                    namespace: "kubeslice-cisco",
                    sliceSubnet: "10.6.0.0/16",
                    subnetSizeIpv6: 64,
                    clusters: ["w"],
                    pinnedSubnetsIpv6: { w: "fd00:6::/64", x: "fd00:6:0:1::/64" },
                    store,
                }),
        ).toThrow(
            'KubeSliceIpam "bad" has invalid arguments:\n' +
                '  - pinnedSubnetsIpv6 names cluster "x", which is not in clusters\n' +
                "  - pinnedSubnetsIpv6 pins IPv6 subnets, but the slice has no sliceSubnetIpv6 (IPv6 pool); add one, or pin in pinnedSubnets\n" +
                "  - subnetSizeIpv6 64 is set without sliceSubnetIpv6; set both (a dual-stack slice) or neither",
        );
    });

    it("registers the same children whatever the order of the list; a new cluster adds exactly one", async () => {
        const build = async (clusters: string[]) => {
            registrations.length = 0;
            const ipam = track(new KubeSliceIpam("green", { sliceName: "green", namespace: "ns", sliceSubnet: "10.4.0.0/16", clusters, store }));
            await valueOf(ipam.subnets);
            return registrations.map((r) => `${r.type}::${r.name}`).sort();
        };
        const original = await build(["c-1", "c-2", "c-3"]);
        expect(await build(["c-3", "c-1", "c-2"])).toEqual(original);
        const added = await build(["c-3", "c-1", "c-4", "c-2"]);
        expect(added.filter((r) => !original.includes(r))).toEqual([`${ALLOCATION_TYPE}::green-c-4`]);
    });

    it("renders manifests as files when given a directory, and applies them with a Kubernetes provider", async () => {
        const k8s = await import("@pulumi/kubernetes");
        const provider = new k8s.Provider("controller-cluster", { kubeconfig: "unused-under-mocks" });
        const ipam = track(
            new KubeSliceIpam("blue2", {
                sliceName: "blue2",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.5.0.0/16",
                clusters: ["worker-1"],
                store,
                manifestsDirectory: "gitops/slices",
                kubernetesProvider: provider,
            }),
        );
        await valueOf(ipam.manifestFiles["worker-1"].id);
        await valueOf(ipam.workerSliceConfigs["worker-1"].id);
        const file = registrations.find((r) => r.type === "pulumi-nodejs:dynamic/kubeslice-ipam:ManifestFile")!;
        expect(file.name).toBe("blue2-worker-1-manifest");
        expect(await valueOf(pulumi.output(file.inputs.path))).toBe("gitops/slices/blue2-worker-1.yaml");
        const custom = registrations.find((r) => r.type === "kubernetes:worker.kubeslice.io/v1alpha1:WorkerSliceConfig")!;
        expect(custom.name).toBe("blue2-worker-1");
        expect(custom.inputs.metadata).toMatchObject({
            name: "blue2-worker-1",
            namespace: "kubeslice-cisco",
            annotations: { "pulumi.com/deletionPropagationPolicy": "background", "pulumi.com/patchForce": "true" },
        });
        // The annotation is for pulumi-kubernetes only: the GitOps manifest carries none.
        expect(await valueOf(pulumi.output(file.inputs.content))).not.toContain("annotations");
        expect(custom.inputs.spec).toMatchObject({ clusterSubnetCIDR: "10.5.0.0/24", octet: 0, sliceIpamType: "Dynamic" });
    });

    it("lets manifest files leave the project only when manifestsOutsideProject says so", async () => {
        const fileInputs = async (name: string, sliceSubnet: string, extra: Record<string, unknown>) => {
            const ipam = track(new KubeSliceIpam(name, { sliceName: name, namespace: "ns", sliceSubnet, clusters: ["worker-1"], store, ...extra }));
            await valueOf(ipam.manifestFiles["worker-1"].id);
            return registrations.find(
                (r) => r.type === "pulumi-nodejs:dynamic/kubeslice-ipam:ManifestFile" && r.name === `${name}-worker-1-manifest`,
            )!.inputs;
        };
        expect(await fileInputs("inside", "10.61.0.0/16", { manifestsDirectory: "gitops" })).not.toHaveProperty("allowOutsideProject");
        const outside = await fileInputs("outside", "10.62.0.0/16", { manifestsDirectory: "/srv/gitops", manifestsOutsideProject: true });
        expect(outside.allowOutsideProject).toBe(true);
        expect(
            () =>
                new KubeSliceIpam("bad", {
                    sliceName: "bad",
                    namespace: "ns",
                    sliceSubnet: "10.6.0.0/16",
                    clusters: [],
                    manifestsOutsideProject: "yes" as never,
                }),
        ).toThrow(/manifestsOutsideProject must be true or false, not "yes"/);
    });

    it("with a Kubernetes provider, records the applied WorkerSliceConfigs' connected pods: Allocated → InUse", async () => {
        const k8s = await import("@pulumi/kubernetes");
        const provider = new k8s.Provider("controller-cluster", { kubeconfig: "unused-under-mocks" });
        workerStatus = {
            connectedAppPods: [{ podName: "cart-0", podNamespace: "shop", podIp: "10.244.0.5", nsmInterface: "nsm0", nsmIp: "10.7.0.2" }],
            onboardedAppNamespaces: [{ name: "shop" }],
        };
        const ipam = track(
            new KubeSliceIpam("teal", {
                sliceName: "teal",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.7.0.0/16",
                clusters: ["worker-1"],
                store,
                kubernetesProvider: provider,
            }),
        );
        expect((await valueOf(ipam.allocations))["worker-1"]).toMatchObject({ subnet: "10.7.0.0/24", status: "InUse" });
        expect(await valueOf(ipam.subnetUsages["worker-1"].connectedPods)).toBe(1);
        const usage = registrations.find((r) => r.type === USAGE_TYPE)!;
        expect(usage.name).toBe("teal-worker-1-usage");
        expect(await valueOf(pulumi.output(usage.inputs.workerSliceConfigStatus))).toEqual(workerStatus);
        expect(usage.inputs).toMatchObject({ sliceName: "teal", clusterName: "worker-1", workerSliceConfig: "teal-worker-1" });
        const ledger = await handlers.subnetAllocation.read("teal/worker-1", { sliceName: "teal", clusterName: "worker-1", store });
        expect(ledger.props?.status).toBe("InUse");
    });

    it("with a Kubernetes provider and no connected pods reported, leaves allocations Allocated", async () => {
        const k8s = await import("@pulumi/kubernetes");
        const provider = new k8s.Provider("controller-cluster", { kubeconfig: "unused-under-mocks" });
        workerStatus = { connectedAppPods: [{ nsmIp: "10.8.0.2" }] }; // an entry naming no pod does not count
        const ipam = track(
            new KubeSliceIpam("olive", {
                sliceName: "olive",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.8.0.0/16",
                clusters: ["worker-1"],
                store,
                kubernetesProvider: provider,
            }),
        );
        expect((await valueOf(ipam.allocations))["worker-1"]).toMatchObject({ status: "Allocated" });
        expect(await valueOf(ipam.subnetUsages["worker-1"].connectedPods)).toBe(0);
    });

    it("adopts a static slice's clusters with their existing subnets (the controller's /20 layout)", async () => {
        const ipam = track(
            new KubeSliceIpam("legacy", {
                sliceName: "legacy",
                namespace: "kubeslice-cisco",
                sliceSubnet: "10.1.0.0/16",
                subnetSize: 20,
                clusters: ["cluster-1", "cluster-2", "cluster-3", "cluster-new"],
                pinnedSubnets: { "cluster-1": "10.1.0.0/20", "cluster-2": "10.1.16.0/20", "cluster-3": "10.1.48.0/20" },
                store,
            }),
        );
        expect(await valueOf(ipam.subnets)).toEqual({
            "cluster-1": "10.1.0.0/20",
            "cluster-2": "10.1.16.0/20",
            "cluster-3": "10.1.48.0/20",
            "cluster-new": "10.1.32.0/20",
        });
        expect((await valueOf(ipam.allocations))["cluster-3"]).toMatchObject({ index: 3, status: "Allocated" });
    });

    it("rejects duplicate and invalid cluster names, reporting every problem at once, before registering anything", async () => {
        const before = registrations.length;
        expect(
            () =>
                new KubeSliceIpam("bad", {
                    sliceName: "Bad",
                    namespace: "kubeslice-cisco",
                    sliceSubnet: "10.6.0.0/16",
                    clusters: ["a", "b", "a", "../x"],
                    store,
                    deletionPropagation: "eventually" as never,
                }),
        ).toThrow(
            'KubeSliceIpam "bad" has invalid arguments:\n' +
                '  - sliceName "Bad" is not a valid DNS-1123 label: use 1-63 lowercase letters, digits or \'-\', starting and ending with a letter or digit (e.g. "cluster-1")\n' +
                '  - cluster "a" is listed more than once; each cluster joins a slice once\n' +
                '  - cluster "../x" is not a valid DNS-1123 label: use 1-63 lowercase letters, digits or \'-\', starting and ending with a letter or digit (e.g. "cluster-1")\n' +
                '  - deletionPropagation "eventually" must be one of "background", "foreground", "orphan"',
        );
        await new Promise((resolve) => setTimeout(resolve, 100)); // registrations reach the mocks asynchronously
        expect(registrations.slice(before).map((r) => r.name)).toEqual([]);
    });
});
