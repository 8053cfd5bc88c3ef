/**
 * The providers as the Pulumi engine runs them: the `__provider` module text
 * the package's resources store (and, for the exported provider objects,
 * serialized like `pulumi.dynamic.Resource` does), executed by @pulumi/pulumi's real
 * dynamic-provider host in a child process, over gRPC with protobuf Structs.
 * The tests run in order and share one slice ledger, like one stack's
 * lifecycle: register, allocate, diff, update, refuse, release, reuse,
 * refresh after out-of-band edits, delete.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
    findRepoRoot,
    HostedProvider,
    loadBuiltProviders,
    ProviderCallError,
    ProviderHost,
    Props,
    startProviderHost,
} from "../support/provider-host";

const repo = findRepoRoot(__dirname);
const built = loadBuiltProviders(repo);
const builtModules = createRequire(path.join(repo, "package.json"))(
    path.join(repo, "dist/resources/handlers-module"),
) as typeof import("../../resources/handlers-module");

let workdir: string;
let store: { kind: "file"; directory: string };
let host: ProviderHost;
let slices: HostedProvider;
let allocations: HostedProvider;

beforeAll(async () => {
    workdir = await fs.mkdtemp(path.join(os.tmpdir(), "kubeslice-ipam-host-"));
    store = { kind: "file", directory: path.join(workdir, "store") };
    host = await startProviderHost({ cwd: workdir, repo });
    slices = await host.provider(builtModules.providerModuleText("sliceIpam"), "SliceIpam");
    allocations = await host.provider(builtModules.providerModuleText("subnetAllocation"), "SubnetAllocation");
});

afterAll(async () => {
    await host?.close();
    if (workdir) {
        await fs.rm(workdir, { recursive: true, force: true });
    }
});

/** What the engine would hold in state after a create/update. */
const state: { slice?: Props; sliceInputs?: Props; worker1?: Props; worker2?: Props } = {};

async function rejection(promise: Promise<unknown>): Promise<ProviderCallError> {
    const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderCallError);
    return error as ProviderCallError;
}

async function checkedAllocationInputs(clusterName: string): Promise<Props> {
    const checked = await allocations.check({}, { sliceName: "blue", clusterName, store });
    expect(checked.failures).toEqual([]);
    return checked.inputs;
}

const ledgerFile = async () => (await new built.FileLedgerStore(store.directory).currentFile("blue"))!;

describe("serialized providers", () => {
    it("are one line naming the handlers module: what each resource stores twice", () => {
        const handlers = path.join(repo, "dist", "provider", "handlers", "index.js");
        expect(allocations.serialized).toBe(`exports.handler = () => require(${JSON.stringify(handlers)}).providers.subnetAllocation;\n`);
        expect(slices.serialized.length).toBeLessThan(150);
    });

    it("as exported provider objects, serialize as closures that capture no implementation module and still work", async () => {
        const closures = [
            await host.provider(built.sliceIpamProvider, "SliceIpam"),
            await host.provider(built.subnetAllocationProvider, "SubnetAllocation"),
        ];
        for (const hosted of closures) {
            expect(hosted.serialized.length).toBeLessThan(4000);
            expect(hosted.serialized).not.toMatch(/zod|ip-num|proper-lockfile/);
            // The implementation is reached by module id at call time.
            expect(hosted.serialized).toContain(path.join("dist", "provider", "handlers", "index.js"));
        }
        const closureStore = { kind: "file", directory: path.join(workdir, "closure-store") };
        const slice = (await closures[0].check({}, { sliceName: "closure", sliceSubnet: "10.99.0.0/16", store: closureStore })).inputs;
        await closures[0].create(slice);
        const allocation = (await closures[1].check({}, { sliceName: "closure", clusterName: "c-1", store: closureStore })).inputs;
        expect((await closures[1].create(allocation)).properties).toMatchObject({ subnet: "10.99.0.0/24" });
        await closures[1].delete("closure/c-1", { ...allocation, subnet: "10.99.0.0/24" });
    });
});

describe("check through the host", () => {
    it("reports one actionable failure per bad property", async () => {
        const { failures } = await slices.check({}, { sliceName: "../x", sliceSubnet: "8.8.8.0/24", subnetSize: 40, store });
        expect(failures.map((f) => f.property).sort()).toEqual(["sliceName", "sliceSubnet", "subnetSize"]);
        const reason = (property: string) => failures.find((f) => f.property === property)!.reason;
        expect(reason("sliceName")).toContain('"../x" is not a valid DNS-1123 label');
        expect(reason("sliceSubnet")).toContain('"8.8.8.0/24" is not a private IP range');
        expect(reason("subnetSize")).toContain('between 16 and 30 for an IPv4 sliceSubnet such as "8.8.8.0/24"; got 40');
    });

    it("returns good inputs with defaults applied", async () => {
        const { inputs, failures } = await slices.check({}, { sliceName: "blue", sliceSubnet: "10.2.0.0/16", store });
        expect(failures).toEqual([]);
        expect(inputs).toEqual({
            sliceName: "blue",
            sliceSubnet: "10.2.0.0/16",
            subnetSize: 24,
            gracePeriodSeconds: 86400,
            maxClusters: 4096,
            store,
        });
        state.sliceInputs = inputs;
    });

    it("checks allocation names too", async () => {
        const { failures } = await allocations.check({}, { sliceName: "blue", clusterName: "Worker_1", store });
        expect(failures).toHaveLength(1);
        expect(failures[0].property).toBe("clusterName");
        expect(failures[0].reason).toContain('"Worker_1" is not a valid DNS-1123 label');
    });
});

describe("resource lifecycle through the host", () => {
    it("creates the slice: id is the slice name", async () => {
        const { id, properties } = await slices.create(state.sliceInputs!);
        expect(id).toBe("blue");
        expect(properties).toMatchObject({ ...state.sliceInputs, totalSubnets: 256, availableSubnets: 256 });
        state.slice = properties;
    });

    it("allocates the lowest free subnets in order", async () => {
        const first = await allocations.create(await checkedAllocationInputs("worker-1"));
        expect(first.id).toBe("blue/worker-1");
        expect(first.properties).toMatchObject({
            subnet: "10.2.0.0/24",
            index: 0,
            status: "Allocated",
            reused: false,
            store,
        });
        expect(new Date(first.properties.allocatedAt as string).toISOString()).toBe(first.properties.allocatedAt);
        state.worker1 = first.properties;

        const second = await allocations.create(await checkedAllocationInputs("worker-2"));
        expect(second.id).toBe("blue/worker-2");
        expect(second.properties).toMatchObject({ subnet: "10.2.1.0/24", index: 1, status: "Allocated", reused: false });
        state.worker2 = second.properties;
    });

    it("surfaces a create error with the provider's message", async () => {
        const error = await rejection(allocations.create({ sliceName: "green", clusterName: "worker-1", store }));
        expect(error.method).toBe("create");
        expect(error.message).toContain('slice "green" is not registered');
        expect(error.message).toContain("declare its SliceIpam first");
    });

    it("diffs unchanged inputs as no change", async () => {
        expect(await slices.diff("blue", state.slice!, state.sliceInputs!, state.sliceInputs)).toEqual({
            changes: "none",
            replaces: [],
            deleteBeforeReplace: false,
        });
        const inputs = await checkedAllocationInputs("worker-1");
        expect(await allocations.diff("blue/worker-1", state.worker1!, inputs, inputs)).toMatchObject({
            changes: "none",
            replaces: [],
        });
    });

    it("replaces the slice, delete first, when sliceSubnet changes", async () => {
        const { inputs } = await slices.check(state.sliceInputs!, { ...state.sliceInputs, sliceSubnet: "10.3.0.0/16" });
        const diff = await slices.diff("blue", state.slice!, inputs, state.sliceInputs);
        expect(diff.changes).toBe("some");
        expect(diff.replaces).toContain("sliceSubnet");
        expect(diff.deleteBeforeReplace).toBe(true);
    });

    it("keeps allocations when the engine asks about dependents of a delete-first slice replacement", async () => {
        // The engine diffs dependents with the replaced slice's outputs unknown
        // (step_generator.go, calculateDependentReplacements). A replace here
        // would release every cluster and let the slice delete go through.
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const diff = await allocations.diff("blue/worker-1", state.worker1!, {
            sliceName: unknown,
            clusterName: "worker-1",
            store,
        });
        expect(diff.replaces).toEqual([]);
        expect(diff.changes).toBe("some");
    });

    it("updates gracePeriodSeconds in place", async () => {
        const news = { ...state.sliceInputs, gracePeriodSeconds: 3600 };
        const { inputs, failures } = await slices.check(state.sliceInputs!, news);
        expect(failures).toEqual([]);
        expect(await slices.diff("blue", state.slice!, inputs, state.sliceInputs)).toEqual({
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        const { properties } = await slices.update("blue", state.slice!, inputs, state.sliceInputs);
        expect(properties).toMatchObject({ gracePeriodSeconds: 3600, totalSubnets: 256, availableSubnets: 254 });
        state.slice = properties;
        state.sliceInputs = inputs;

        const refreshed = await slices.read("blue", state.slice, state.sliceInputs);
        expect(refreshed.id).toBe("blue");
        expect(refreshed.properties).toMatchObject({ gracePeriodSeconds: 3600 });
    });

    it("refuses to delete the slice while clusters hold subnets, changing nothing", async () => {
        const before = await fs.readFile(await ledgerFile(), "utf8");
        const error = await rejection(slices.delete("blue", state.slice!, state.sliceInputs));
        expect(error.message).toContain('slice "blue"');
        expect(error.message).toContain("worker-1 (10.2.0.0/24)");
        expect(error.message).toContain("worker-2 (10.2.1.0/24)");
        expect(await fs.readFile(await ledgerFile(), "utf8")).toBe(before);
        const held = await allocations.read("blue/worker-1", state.worker1!);
        expect(held).toMatchObject({ id: "blue/worker-1", properties: { status: "Allocated" } });
    });

    it("releases on delete; read then shows Released", async () => {
        await allocations.delete("blue/worker-1", state.worker1!);
        const refreshed = await allocations.read("blue/worker-1", state.worker1!);
        expect(refreshed.id).toBe("blue/worker-1");
        expect(refreshed.properties).toMatchObject({ subnet: "10.2.0.0/24", index: 0, status: "Released" });
    });

    it("hands a released subnet back to the same cluster", async () => {
        const again = await allocations.create(await checkedAllocationInputs("worker-1"));
        expect(again.id).toBe("blue/worker-1");
        expect(again.properties).toMatchObject({ subnet: "10.2.0.0/24", index: 0, status: "Allocated", reused: true });
        expect(again.properties.allocatedAt).toBe(state.worker1!.allocatedAt);
        state.worker1 = again.properties;
    });

    it("reads an allocation removed from the store out of band as gone (empty id)", async () => {
        const ledgers = new built.FileLedgerStore(store.directory);
        const loaded = await ledgers.load("blue");
        const swapped = await ledgers.compareAndSwap("blue", loaded!.version, {
            ...loaded!.ledger,
            allocations: loaded!.ledger.allocations.filter((a) => a.clusterName !== "worker-2"),
        });
        expect(swapped.ok).toBe(true);

        const refreshed = await allocations.read("blue/worker-2", state.worker2!);
        expect(refreshed.id).toBe("");
        expect(refreshed.properties).toEqual({});
        // Deleting what is already gone succeeds.
        await allocations.delete("blue/worker-2", state.worker2!);
    });

    it("deletes idempotently", async () => {
        await allocations.delete("blue/worker-1", state.worker1!);
        await allocations.delete("blue/worker-1", state.worker1!);
        const refreshed = await allocations.read("blue/worker-1", state.worker1!);
        expect(refreshed.properties).toMatchObject({ status: "Released" });
    });

    it("deletes the slice once no cluster holds a subnet, then reads it as gone", async () => {
        await slices.delete("blue", state.slice!, state.sliceInputs);
        expect(await new built.FileLedgerStore(store.directory).load("blue")).toBeUndefined();
        await slices.delete("blue", state.slice!, state.sliceInputs);
        expect((await slices.read("blue", state.slice!, state.sliceInputs)).id).toBe("");
    });

    it("surfaces an update error with the provider's message", async () => {
        const error = await rejection(slices.update("blue", state.slice!, state.sliceInputs!, state.sliceInputs));
        expect(error.method).toBe("update");
        expect(error.message).toContain('slice "blue" is not registered');
        expect(error.message).toContain("pulumi refresh");
    });

    it("resolves the default store against the host's working directory", async () => {
        const { inputs } = await slices.check({}, { sliceName: "cwd-check", sliceSubnet: "10.9.0.0/16" });
        const created = await slices.create(inputs);
        expect(created.id).toBe("cwd-check");
        await fs.access(path.join(workdir, ".slice-ipam", "cwd-check", "000000000001.json"));
        await slices.delete("cwd-check", created.properties, inputs);
    });

    it("wrote nothing unexpected to the host's output", () => {
        // Failed calls make the host print the error (as the engine would show it), and allocations log through
        // pulumi.log, which prints when the host cannot reach the engine; anything else is a surprise.
        const allocationLog = /^info: \[runtime\] (Allocated|Reused existing) subnet for cluster \{/;
        const unexpected = host.output.filter((o) => !/not registered|active allocation|^\s+at |^\s*$/.test(o.line) && !allocationLog.test(o.line));
        expect(unexpected).toEqual([]);
    });
});

describe("provider logs", () => {
    // A throwaway provider that logs through the host's own @pulumi/pulumi runtime.
    const PULUMI = path.join(repo, "node_modules", "@pulumi", "pulumi");
    const logging: pulumi.dynamic.ResourceProvider = {
        async create(inputs) {
            await require(PULUMI).log.warn(`creating ${inputs.name}`);
            return { id: String(inputs.name), outs: {} };
        },
    };

    it("reach the engine's Log RPC when the host can find the engine", async () => {
        const routed = await startProviderHost({ cwd: workdir, repo, routeLogsToEngine: true });
        try {
            await (await routed.provider(logging)).create({ name: "a" });
            expect(routed.logs).toContainEqual(expect.objectContaining({ severity: "warning", message: "creating a" }));
        } finally {
            await routed.close();
        }
    });

    it("go to stderr as the CLI launches the host (engine address in argv only)", async () => {
        await (await host.provider(logging)).create({ name: "b" });
        // Output lines and the gRPC response travel separately, so wait for the line.
        await vi.waitFor(() => expect(host.output).toContainEqual({ stream: "stderr", line: "warning: [runtime] creating b" }), {
            timeout: 10_000,
            interval: 20,
        });
        expect(host.logs).toEqual([]);
    });
});
