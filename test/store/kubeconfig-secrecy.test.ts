/**
 * A kubeconfig that cannot be used never shows its contents: through the
 * handlers, the real dynamic-provider host (errors, engine logs, host
 * output), the component's planning and the native provider's construct.
 * The CLI and the exporter are in test/cli/kubeconfig-secrecy.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeSliceIpam } from "../../components/kubeslice-ipam";
import * as handlers from "../../provider/handlers";
import { KubesliceIpamProvider } from "../../native/provider";
import { HostedIpam, startHostedIpam } from "../support/provider-host";
import { RETRY_SECONDS_VARIABLE } from "../../provider/store/kubernetes-requests";
import { PROVIDER_KUBECONFIG_KEY } from "../../provider/store/provider-kubeconfig";
import { LEAKY_KUBECONFIGS, MARKER } from "../support/leaky-kubeconfigs";

/** Everything the code under test printed or raised, searched for the marker at the end of each test. */
const seen: string[] = [];
const record = (value: unknown) => {
    seen.push(value instanceof Error ? `${value.message}\n${value.stack ?? ""}` : typeof value === "string" ? value : JSON.stringify(value));
};
/** Runs `call`, recording its error (message and stack) or its result. */
async function attempt(call: () => Promise<unknown>): Promise<unknown> {
    try {
        const result = await call();
        record(result);
        return result;
    } catch (error) {
        record(error);
        return error;
    }
}

const nativeProvider = new KubesliceIpamProvider("0.1.0");
void pulumi.runtime.setMocks(
    {
        async newResource(args) {
            // Served by the native provider, as the engine would: check, then create.
            const urn = `urn:pulumi:test::kubeslice-ipam::${args.type}::${args.name}`;
            if (!args.type.startsWith("kubeslice-ipam:index:") || args.type.endsWith("KubeSliceIpam")) {
                return { id: `${args.name}-id`, state: args.inputs };
            }
            const checked = await nativeProvider.check(urn, {}, args.inputs);
            const created = await attempt(() => nativeProvider.create(urn, checked.inputs ?? {}));
            if (created instanceof Error) {
                throw created;
            }
            return { id: (created as { id: string }).id, state: (created as { outs: Record<string, unknown> }).outs };
        },
        call: (args) => args.inputs,
    },
    "kubeslice-ipam",
    "test",
    false,
);

// Planning failures surface as rejected outputs; the SDK may also report them as unhandled rejections or log them.
const onRejection = (reason: unknown) => record(reason);
const writes = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
// Their servers are unreachable (port 1): what is under test is what the errors say, not how long a
// dead server is retried (30 s by default; docs/stores.md), so each call gives up after a second.
beforeAll(() => {
    process.env[RETRY_SECONDS_VARIABLE] = "1";
});
afterAll(() => {
    delete process.env[RETRY_SECONDS_VARIABLE];
});
beforeAll(() => {
    process.on("unhandledRejection", onRejection);
    process.stdout.write = ((chunk: unknown, ...rest: never[]) => (
        record(String(chunk)),
        writes.stdout(chunk as string, ...rest)
    )) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...rest: never[]) => (
        record(String(chunk)),
        writes.stderr(chunk as string, ...rest)
    )) as typeof process.stderr.write;
});
afterAll(() => {
    process.off("unhandledRejection", onRejection);
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
});

const cases = Object.entries(LEAKY_KUBECONFIGS);
const storeOf = (kubeconfig: string, context?: string) => ({
    kind: "kubernetes" as const,
    namespace: "kubeslice-e2e",
    kubeconfig,
    ...(context ? { context } : {}),
});
const slice = (store: object) => ({ sliceName: "jade", sliceSubnet: "10.5.0.0/16", subnetSize: 24, gracePeriodSeconds: 60, maxClusters: 10, store });
const allocation = (store: object) => ({ sliceName: "jade", clusterName: "w-1", store });
const allocationState = (store: object) => ({ ...allocation(store), subnet: "10.5.0.0/24", subnetIndex: 0 });

function expectNoMarker(): void {
    const leaks = seen.filter((text) => text.includes(MARKER));
    seen.length = 0;
    expect(leaks).toEqual([]);
}

describe.each(cases)("a kubeconfig with %s", (_what, kubeconfig) => {
    const store = storeOf(kubeconfig);

    it("fails every handler call that opens the store without quoting it", async () => {
        const failures = [
            await attempt(() => handlers.sliceIpam.create(slice(store))),
            await attempt(() => handlers.sliceIpam.read("jade", slice(store))),
            await attempt(() => handlers.sliceIpam.update("jade", slice(store), { ...slice(store), maxClusters: 11 })),
            await attempt(() => handlers.sliceIpam.remove("jade", slice(store))),
            await attempt(() => handlers.subnetAllocation.create(allocation(store))),
            await attempt(() => handlers.subnetAllocation.read("jade/w-1", allocationState(store))),
            await attempt(() => handlers.subnetAllocation.remove("jade/w-1", allocationState(store))),
        ];
        await attempt(() => handlers.sliceIpam.diff("jade", slice(store), slice(store)));
        await attempt(() => handlers.subnetAllocation.diff("jade/w-1", allocationState(store), allocation(store)));
        for (const failure of failures) {
            expect(failure).toBeInstanceOf(Error);
        }
        expectNoMarker();
    });

    it("fails the native provider's calls and its construct without quoting it", async () => {
        const sliceUrn = "urn:pulumi:test::kubeslice-ipam::kubeslice-ipam:index:SliceIpam::jade";
        const secretStore = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: store };
        await attempt(() => nativeProvider.create(sliceUrn, slice(secretStore)));
        await attempt(() => nativeProvider.read("jade", sliceUrn, slice(store)));
        await attempt(() => nativeProvider.delete("jade", sliceUrn, slice(store)));
        await attempt(() => nativeProvider.diff("jade", sliceUrn, slice(store), slice(store)));
        const constructed = await attempt(() =>
            nativeProvider.construct(
                "jade",
                "kubeslice-ipam:index:KubeSliceIpam",
                { sliceName: "jade", namespace: "kubeslice-e2e", sliceSubnet: "10.5.0.0/16", clusters: ["w-1"], store },
                {},
            ),
        );
        expect(constructed).toBeInstanceOf(Error);
        expectNoMarker();
    });

    it("fails the component's planning without quoting it, even given as a secret", async () => {
        for (const given of [store, pulumi.secret(store)]) {
            const ipam = new KubeSliceIpam("jade", {
                sliceName: "jade",
                namespace: "kubeslice-e2e",
                sliceSubnet: "10.5.0.0/16",
                clusters: ["w-1"],
                store: given,
            });
            const subnets = await attempt(
                () =>
                    new Promise((resolve, reject) => {
                        pulumi.output(ipam.subnets).apply(resolve);
                        setTimeout(() => reject(new Error("no subnets within 2 s")), 2_000);
                    }),
            );
            expect(subnets).toBeInstanceOf(Error);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        expectNoMarker();
    });
});

describe("a --context the kubeconfig does not define", () => {
    it("names the context, not the kubeconfig's", async () => {
        const error = await attempt(() =>
            handlers.sliceIpam.create(slice(storeOf(LEAKY_KUBECONFIGS["invalid base64 in the certificate data"], "nope"))),
        );
        expect((error as Error).message).toContain('has no context named "nope"');
        expectNoMarker();
    });
});

describe("through the real dynamic-provider host", () => {
    let hosted: HostedIpam;
    beforeAll(async () => {
        hosted = await startHostedIpam({ routeLogsToEngine: true });
    }, 60_000);
    afterAll(async () => hosted?.close());

    it.each(cases)("a kubeconfig with %s: errors, engine logs, host output and the project directory hold none of it", async (_what, kubeconfig) => {
        const store = storeOf(kubeconfig);
        const { slices, allocations } = hosted;
        const failures = [
            await attempt(() => slices.create(slice(store))),
            await attempt(() => slices.read("jade", slice(store), slice(store))),
            await attempt(() => slices.delete("jade", slice(store), slice(store))),
            await attempt(() => allocations.create(allocation(store))),
            await attempt(() => allocations.read("jade/w-1", allocationState(store), allocation(store))),
            await attempt(() => allocations.delete("jade/w-1", allocationState(store), allocation(store))),
        ];
        await attempt(() => slices.diff("jade", slice(store), slice(store)));
        await attempt(() => allocations.diff("jade/w-1", allocationState(store), allocation(store)));
        const checked = (await slices.check({}, slice(store))) as { failures: unknown[] };
        record(checked.failures);
        for (const failure of failures) {
            expect(failure).toBeInstanceOf(Error);
        }
        hosted.host.logs.forEach(record);
        hosted.host.output.forEach(record);
        for (const file of readdirSync(hosted.workdir, { recursive: true, withFileTypes: true })) {
            if (file.isFile()) {
                record(readFileSync(path.join(file.parentPath, file.name), "utf8"));
            }
        }
        expectNoMarker();
    });
});

describe("in the provider's configuration (KubeSliceIpam's children), through the real dynamic-provider host", () => {
    const fromProvider = { kind: "kubernetes" as const, namespace: "kubeslice-e2e", kubeconfigFrom: "provider" as const };

    it.each(cases)("a kubeconfig with %s: errors, engine logs and host output hold none of it", async (_what, kubeconfig) => {
        const hosted = await startHostedIpam({ routeLogsToEngine: true, config: { [PROVIDER_KUBECONFIG_KEY]: kubeconfig } });
        try {
            const { slices, allocations } = hosted;
            const failures = [
                await attempt(() => slices.create(slice(fromProvider))),
                await attempt(() => allocations.create(allocation(fromProvider))),
                await attempt(() => allocations.read("jade/w-1", allocationState(fromProvider), allocation(fromProvider))),
                await attempt(() => allocations.delete("jade/w-1", allocationState(fromProvider), allocation(fromProvider))),
            ];
            for (const failure of failures) {
                expect(failure).toBeInstanceOf(Error);
            }
            hosted.host.logs.forEach(record);
            hosted.host.output.forEach(record);
        } finally {
            await hosted.close();
        }
        expectNoMarker();
    });
});
