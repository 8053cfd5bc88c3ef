/**
 * Requested subnets through Pulumi's real dynamic-provider host: check
 * failures for pins that can never be honoured, and the warning when a
 * planned subnet is taken between check and create.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { HostedIpam, HostedProvider, ProviderHost, startHostedIpam } from "../support/provider-host";

let ipam: HostedIpam;
let host: ProviderHost;
let allocations: HostedProvider;
let store: { kind: "file"; directory: string };

beforeAll(async () => {
    ipam = await startHostedIpam({ routeLogsToEngine: true });
    ({ host, allocations } = ipam);
    store = { kind: "file", directory: path.join(ipam.workdir, "store") };
    const { inputs } = await ipam.slices.check({}, { sliceName: "legacy", sliceSubnet: "10.1.0.0/16", subnetSize: 20, store });
    await ipam.slices.create(inputs);
});

afterAll(async () => {
    await ipam?.close();
});

const check = (clusterName: string, requestedSubnet: string, requestedSubnetIsPlan?: boolean) =>
    allocations.check({}, { sliceName: "legacy", clusterName, requestedSubnet, requestedSubnetIsPlan, store });

describe("requested subnets through the host", () => {
    it("adopts a static slice's cluster with its existing subnet", async () => {
        const { inputs, failures } = await check("c-2", "10.1.16.0/20");
        expect(failures).toEqual([]);
        const created = await allocations.create(inputs);
        expect(created.properties).toMatchObject({ subnet: "10.1.16.0/20", index: 1, requestedSubnet: "10.1.16.0/20" });
    });

    it.each([
        ["10.2.0.0/20", 'is outside the pool of slice "legacy" (10.1.0.0/16, /20 subnets); pin a /20 block inside 10.1.0.0/16'],
        ["10.1.0.0/24", 'is not a /20 block of slice "legacy" (10.1.0.0/16, /20 subnets); pin a /20 block inside 10.1.0.0/16'],
        ["10.1.16.0/20", 'is already held by cluster "c-2" in slice "legacy"'],
        ["10.1.16.1/20", 'requestedSubnet "10.1.16.1/20" is not canonical CIDR notation'],
    ])("fails check for %s", async (requestedSubnet, message) => {
        const { failures } = await check("c-9", requestedSubnet);
        expect(failures).toHaveLength(1);
        expect(failures[0].property).toBe("requestedSubnet");
        expect(failures[0].reason).toContain(message);
    });

    it("does not fail check for a planned subnet another stack took: create will fall back", async () => {
        const { failures } = await check("c-9", "10.1.16.0/20", true);
        expect(failures).toEqual([]);
    });

    it("fails create for a pin taken between check and create, writing nothing", async () => {
        const { inputs, failures } = await check("pinned", "10.1.48.0/20");
        expect(failures).toEqual([]);
        await allocations.create((await check("thief", "10.1.48.0/20")).inputs);
        const refused = await allocations.create(inputs).then(
            () => "created",
            (error: Error) => error.message,
        );
        expect(refused).toContain('pinned subnet 10.1.48.0/20 for cluster "pinned" is already held by cluster "thief" in slice "legacy"');
        const read = await allocations.read("legacy/pinned", inputs);
        expect(read.id).toBe("");
    });

    it("falls back with a warning naming both subnets when the planned subnet is taken after check", async () => {
        const { inputs, failures } = await check("planned", "10.1.32.0/20", true);
        expect(failures).toEqual([]);
        const intruder = await check("intruder", "10.1.32.0/20");
        await allocations.create(intruder.inputs);
        const created = await allocations.create(inputs);
        expect(created.properties.subnet).toBe("10.1.0.0/20");
        // The engine's Log RPC arrives after the create's answer: wait for it (bounded).
        const warning = await vi.waitFor(
            () => {
                const found = host.logs.find((log) => log.severity === "warning" && log.message.includes("planned"));
                expect(found).toBeDefined();
                return found;
            },
            { timeout: 10_000, interval: 20 },
        );
        expect(warning?.message).toBe(
            'slice "legacy": requested subnet 10.1.32.0/20 for cluster "planned" was taken by cluster "intruder" ' +
                "meanwhile; allocated 10.1.0.0/20 instead",
        );
    });
});
