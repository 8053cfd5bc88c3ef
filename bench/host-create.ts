import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadBuiltProviders, startProviderHost } from "../test/support/provider-host";

export interface HostCreateSample {
    readonly creates: number;
    readonly medianMs: number;
    readonly p95Ms: number;
    /** The same allocation called in-process, without gRPC and serialization. */
    readonly directMedianMs: number;
}

/**
 * Latency of SubnetAllocation creates through Pulumi's real dynamic-provider
 * host, one at a time as a slow engine would send them, file store.
 */
export async function measureHostCreates(creates: number): Promise<HostCreateSample> {
    const project = mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-bench-"));
    const providers = loadBuiltProviders();
    const host = await startProviderHost({ cwd: project });
    try {
        const slices = await host.provider(providers.sliceIpamProvider, "kubeslice-ipam:SliceIpam");
        const allocations = await host.provider(providers.subnetAllocationProvider, "kubeslice-ipam:SubnetAllocation");
        const store = { kind: "file", directory: path.join(project, "store") };
        const sliceInputs = (await slices.check({}, { sliceName: "bench", sliceSubnet: "10.0.0.0/8", subnetSize: 24, store })).inputs;
        await slices.create(sliceInputs);

        const viaHost: number[] = [];
        for (let i = 0; i < creates; i++) {
            const inputs = (await allocations.check({}, { sliceName: "bench", clusterName: `host-${i}`, store })).inputs;
            const started = process.hrtime.bigint();
            await allocations.create(inputs);
            viaHost.push(Number(process.hrtime.bigint() - started) / 1e6);
        }

        // In-process there is no engine, so the providers' per-allocation info log
        // would go to the console; it is muted here to keep the report readable.
        const direct: number[] = [];
        const log = console.log;
        console.log = () => undefined;
        try {
            for (let i = 0; i < creates; i++) {
                const started = process.hrtime.bigint();
                await providers.subnetAllocationProvider.create({ sliceName: "bench", clusterName: `direct-${i}`, store });
                direct.push(Number(process.hrtime.bigint() - started) / 1e6);
            }
        } finally {
            console.log = log;
        }
        return {
            creates,
            medianMs: percentile(viaHost, 0.5),
            p95Ms: percentile(viaHost, 0.95),
            directMedianMs: percentile(direct, 0.5),
        };
    } finally {
        await host.close();
        rmSync(project, { recursive: true, force: true });
    }
}

function percentile(values: number[], fraction: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}
