import { existsSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeSliceIpam } from "../../components";
import { planSlice } from "../../components/kubeslice-ipam";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { makeTempDir } from "../support/temp-dir";

/**
 * A preview: the engine creates nothing, so registered resources echo their
 * inputs and a new allocation has no subnet output. What the preview can show
 * comes from the component's plan, read from the real ledger.
 */
const registrations: { type: string; name: string; inputs: Record<string, any> }[] = [];
void pulumi.runtime.setMocks(
    {
        async newResource(args) {
            registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: `${args.name}-preview-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    },
    "kubeslice-ipam",
    "preview",
    true,
);

const valueOf = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));

let temp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
    temp = makeTempDir();
});
afterAll(() => temp.remove());

describe("KubeSliceIpam in a preview", () => {
    it("shows every joining cluster's exact subnet in its inputs and its manifest, around existing allocations", async () => {
        const store = { kind: "file" as const, directory: path.join(temp.dir, "store") };
        const ledgers = new FileLedgerStore(store.directory);
        await registerSlice(ledgers, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
        for (const cluster of ["worker-1", "worker-2", "worker-3"]) {
            await allocateSubnet(ledgers, "blue", cluster);
        }
        await releaseSubnet(ledgers, "blue", "worker-2"); // reserved for worker-2 during its grace period

        const ipam = new KubeSliceIpam("blue", {
            sliceName: "blue",
            namespace: "kubeslice-cisco",
            sliceSubnet: "10.2.0.0/16",
            clusters: ["worker-1", "worker-9", "worker-3", "worker-5"],
            store,
            manifestsDirectory: "manifests",
        });
        expect(await valueOf(ipam.subnets)).toEqual({
            "worker-1": "10.2.0.0/24",
            "worker-3": "10.2.2.0/24",
            "worker-5": "10.2.4.0/24",
            "worker-9": "10.2.3.0/24",
        });
        // Capacity as it will be after the up: four active, worker-2 still reserved.
        expect(await valueOf(ipam.availableSubnets)).toBe(251);
        expect(await valueOf(ipam.utilization)).toBeCloseTo(4 / 256);
        const manifests = await valueOf(ipam.manifests);
        expect(manifests["worker-9"]).toContain("clusterSubnetCIDR: 10.2.3.0/24\n");
        expect(manifests["worker-9"]).toContain("octet: 3\n");
        await valueOf(ipam.manifestFiles["worker-5"].urn);
        const requested = Object.fromEntries(
            await Promise.all(
                registrations
                    .filter((r) => r.type.endsWith(":SubnetAllocation"))
                    .map(async (r) => [r.name, await valueOf(pulumi.output(r.inputs.requestedSubnet))] as const),
            ),
        );
        expect(requested).toEqual({
            "blue-worker-1": "10.2.0.0/24",
            "blue-worker-3": "10.2.2.0/24",
            "blue-worker-5": "10.2.4.0/24",
            "blue-worker-9": "10.2.3.0/24",
        });
        const file = registrations.find((r) => r.name === "blue-worker-5-manifest")!;
        expect(await valueOf(pulumi.output(file.inputs.content))).toContain("clusterSubnetCIDR: 10.2.4.0/24\n");
        // Planning only reads: the ledger still holds the three original entries.
        const stored = (await ledgers.load("blue"))!.ledger.allocations.map((a) => `${a.clusterName}:${a.status}`);
        expect(stored).toEqual(["worker-1:Allocated", "worker-2:Released", "worker-3:Allocated"]);
    });

    it("previews a brand-new slice: planned subnets and projected capacity, nothing written", async () => {
        const store = { kind: "file" as const, directory: path.join(temp.dir, "store-new") };
        const ipam = new KubeSliceIpam("fresh", {
            sliceName: "fresh",
            namespace: "kubeslice-cisco",
            sliceSubnet: "10.7.0.0/16",
            maxClusters: 10,
            clusters: ["worker-1", "worker-2"],
            store,
        });
        expect(await valueOf(ipam.subnets)).toEqual({ "worker-1": "10.7.0.0/24", "worker-2": "10.7.1.0/24" });
        expect(await valueOf(ipam.availableSubnets)).toBe(8);
        expect(await valueOf(ipam.utilization)).toBeCloseTo(2 / 256);
        expect(existsSync(store.directory)).toBe(false); // nothing written: not even the store directory
    });

    it("fails for a cluster beyond maxClusters instead of planning a subnet up would refuse", async () => {
        const store = { kind: "file" as const, directory: path.join(temp.dir, "store-limit") };
        const planning = planSlice("small", {
            sliceName: "small",
            sliceSubnet: "10.8.0.0/16",
            subnetSize: 24,
            maxClusters: 2,
            clusters: ["a", "b", "c"],
            store,
        });
        await expect(planning).rejects.toThrow(
            'KubeSliceIpam "small" cannot place its clusters:\n' +
                '  - cluster "c" cannot join slice "small": its maxClusters limit is 2 active clusters: 0 active now and 2 joining before it',
        );
    });

    it("fails with every placement problem listed, writing nothing", async () => {
        const store = { kind: "file" as const, directory: path.join(temp.dir, "store-2") };
        const planning = planSlice("tiny", {
            sliceName: "tiny",
            sliceSubnet: "192.168.0.0/23",
            subnetSize: 24,
            clusters: ["a", "b", "c", "d"],
            pins: { a: "192.168.4.0/24" },
            store,
        });
        await expect(planning).rejects.toThrow(
            'KubeSliceIpam "tiny" cannot place its clusters:\n' +
                '  - pinned subnet 192.168.4.0/24 for cluster "a" is outside the pool of slice "tiny" (192.168.0.0/23, /24 subnets); ' +
                "pin a /24 block inside 192.168.0.0/23, or remove the pin\n" +
                '  - slice "tiny" has no available subnets for cluster "d"',
        );
        expect(existsSync(store.directory)).toBe(false); // nothing written: not even the store directory
    });

    it("fails for a cluster whose IPv4 and IPv6 pins name different indexes, saying which index each names", async () => {
        const store = { kind: "file" as const, directory: path.join(temp.dir, "store-pins") };
        const planning = planSlice("odd", {
            sliceName: "odd",
            sliceSubnet: "10.6.0.0/16",
            subnetSize: 24,
            sliceSubnetIpv6: "fd00:6::/48",
            subnetSizeIpv6: 64,
            clusters: ["w"],
            pins: { w: "10.6.1.0/24" },
            pinsIpv6: { w: "fd00:6:0:2::/64" },
            store,
        });
        await expect(planning).rejects.toThrow(
            'KubeSliceIpam "odd" cannot place its clusters:\n' +
                '  - the pins of cluster "w" in slice "odd" name different indexes: 10.6.1.0/24 is index 1, fd00:6:0:2::/64 is index 2',
        );
    });

    it("plans an IPv4 slice's upgrade to dual-stack: clusters keep their subnets and the plan shows their paired IPv6 ones", async () => {
        const store = { kind: "file" as const, directory: path.join(temp.dir, "store-upgrade") };
        const opened = new FileLedgerStore(store.directory);
        await registerSlice(opened, sliceSpecSchema.parse({ sliceName: "up", sliceSubnet: "10.9.0.0/16" }));
        await allocateSubnet(opened, "up", "a");
        const { plan, projected } = await planSlice("up", {
            sliceName: "up",
            sliceSubnet: "10.9.0.0/16",
            subnetSize: 24,
            sliceSubnetIpv6: "fd00:9::/56",
            subnetSizeIpv6: 64,
            clusters: ["a", "b"],
            store,
        });
        expect(plan).toEqual({
            a: { subnet: "10.9.0.0/24", subnetIpv6: "fd00:9::/64", index: 0, source: "existing" },
            b: { subnet: "10.9.1.0/24", subnetIpv6: "fd00:9:0:1::/64", index: 1, source: "planned" },
        });
        expect(projected?.totalSubnets).toBe(256);
    });
});
