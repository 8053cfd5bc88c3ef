/**
 * Allocation logs as the engine receives them: providers run by Pulumi's
 * real dynamic-provider host, whose `pulumi.log` calls reach the engine's
 * Log RPC (test/support/provider-host.ts, routeLogsToEngine).
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EngineLog, HostedIpam, HostedProvider, ProviderHost, startHostedIpam } from "../support/provider-host";

let ipam: HostedIpam;
let store: { kind: "file"; directory: string };
let host: ProviderHost;
let allocations: HostedProvider;

beforeAll(async () => {
    ipam = await startHostedIpam({ routeLogsToEngine: true });
    ({ host, allocations } = ipam);
    store = { kind: "file", directory: path.join(ipam.workdir, "store") };
    // 16 subnets: the 13th allocation takes utilization past 80 %.
    const { inputs } = await ipam.slices.check({}, { sliceName: "tiny", sliceSubnet: "192.168.0.0/24", subnetSize: 28, store });
    await ipam.slices.create(inputs);
});

afterAll(async () => {
    await ipam?.close();
});

async function create(clusterName: string) {
    const { inputs } = await allocations.check({}, { sliceName: "tiny", clusterName, store });
    return allocations.create(inputs);
}

/** Log RPCs arrive after the call's answer: wait for the one wanted. */
async function logMatching(pattern: RegExp): Promise<EngineLog> {
    return vi.waitFor(
        () => {
            const found = host.logs.find((log) => pattern.test(log.message));
            expect(found, `no log matching ${pattern} in ${JSON.stringify(host.logs)}`).toBeDefined();
            return found!;
        },
        { timeout: 10_000, interval: 20 },
    );
}

function fieldsOf(log: EngineLog): Record<string, unknown> {
    return JSON.parse(log.message.slice(log.message.indexOf("{")));
}

describe("allocation logs through the host", () => {
    it("logs an allocation as info with slice, cluster, subnet and duration", async () => {
        await create("c-1");
        const log = await logMatching(/^Allocated subnet for cluster .*"cluster":"c-1"/);
        expect(log.severity).toBe("info");
        expect(fieldsOf(log)).toEqual({ slice: "tiny", cluster: "c-1", subnet: "192.168.0.0/28", duration_ms: expect.any(Number) });
    });

    it("logs a reused subnet with when it had been released", async () => {
        const created = await create("c-2");
        await allocations.delete(created.id, created.properties);
        await create("c-2");
        const log = await logMatching(/^Reused existing subnet for cluster /);
        expect(log.severity).toBe("info");
        expect(fieldsOf(log)).toEqual({
            slice: "tiny",
            cluster: "c-2",
            subnet: "192.168.0.16/28",
            previously_released_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        });
    });

    it("warns once when the pool crosses 80 %", async () => {
        for (let i = 3; i <= 13; i++) {
            await create(`c-${i}`);
        }
        const log = await logMatching(/^Subnet pool approaching exhaustion /);
        expect(log.severity).toBe("warning");
        expect(fieldsOf(log)).toEqual({ slice: "tiny", available: 3, total: 16, utilization: 0.8125 });
        await create("c-14");
        await logMatching(/"cluster":"c-14"/);
        expect(host.logs.filter((l) => l.message.startsWith("Subnet pool approaching exhaustion"))).toHaveLength(1);
    });
});
