/**
 * 17. The native provider from Go, through the real engine: test/e2e/go-consumer
 * is a Go program on the Go SDK v3.259.0 run with the Automation API's inline
 * programs (no pulumi-language-go, which the Go module proxy here refuses),
 * declaring the resources through the typed Go SDK that test/e2e/go-sdk-gen
 * generates from `pulumi package get-schema plugin/` (upstream's Go code
 * generator, pkg/v3 v3.259.0). Generated into the workspace, beside a copy of
 * the program, on every run.
 *   - up, a no-change preview, a cluster added (one create);
 *   - an allocation another stack made taken in with the pulumi.Import option;
 *   - a hand release (the ledger edited, as an operator would; `slice-ipam
 *     show` sees it) found by refresh and taken back by up;
 *   - the KubeSliceIpam component from Go (construct);
 *   - destroy; the Kubernetes store with a secret kubeconfig.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { commandEnv, copyProgram, editLedger, readLedger, REPO, sliceIsGone, subnetsIn, Workspace } from "./support/engine";

const run = promisify(execFile);
const SOURCE = path.join(REPO, "test/e2e/go-consumer");
const GENERATOR = path.join(REPO, "test/e2e/go-sdk-gen");
const PLUGIN = path.join(REPO, "plugin");
/** The consumer's own module path: the generated package lives inside it. */
const SDK_IMPORT_PATH = "kubeslice-ipam/test/e2e/go-consumer/sdk/kubesliceipam";
const GO_ENV = { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly -buildvcs=false" };

let workspace: Workspace;
let binary: string;
let store: string;
let workDir: string;

/** Seconds each build step took, printed once: what the Go SDK costs a run. */
const timings: Record<string, number> = {};
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    const start = Date.now();
    const result = await work();
    timings[step] = (Date.now() - start) / 1000;
    return result;
}

beforeAll(async () => {
    workspace = await Workspace.create("native-go");
    store = await workspace.directory("store");
    workDir = await workspace.directory("program");
    await workspace.run(workDir, ["login", workspace.backendUrl]);

    const generator = path.join(workspace.dir, "go-sdk-gen");
    // -trimpath as test/pulumi-cli/build.sh builds the CLI: the same flags, the same build-cache entries for pkg/v3.
    await timed("build go-sdk-gen", () => run("go", ["build", "-trimpath", "-o", generator, "."], { cwd: GENERATOR, env: GO_ENV, timeout: 900_000 }));
    const schema = await timed("pulumi package get-schema", () => workspace.run(workDir, ["package", "get-schema", PLUGIN]));
    const schemaFile = path.join(workspace.dir, "schema.json");
    await fs.writeFile(schemaFile, schema.stdout);
    const consumer = path.join(workspace.dir, "go-consumer");
    await copyProgram(SOURCE, consumer);
    await timed("generate the Go SDK", () => run(generator, [schemaFile, SDK_IMPORT_PATH, path.join(consumer, "sdk")], { timeout: 120_000 }));
    binary = path.join(workspace.dir, "go-consumer-bin");
    await timed("build go-consumer", () => run("go", ["build", "-o", binary, "."], { cwd: consumer, env: GO_ENV, timeout: 900_000 }));
    console.log(`native-go build steps (s): ${JSON.stringify(timings)}`);
}, 1_800_000);

afterAll(async () => {
    await workspace?.remove();
});

interface GoRun {
    subnets?: Record<string, string>;
    totalSubnets?: number;
    availableSubnets?: number;
    changes: Record<string, number>;
}

async function goConsumer(command: string, clusters: string[], options: { stack?: string; flags?: string[] } = {}): Promise<GoRun> {
    const args = ["-command", command, "-work", workDir, "-plugin", PLUGIN, "-stack", options.stack ?? "dev", ...(options.flags ?? [])];
    const { stdout } = await run(
        binary,
        [...args, ...(options.flags?.some((f) => f === "-kube-namespace") ? [] : ["-store-dir", store]), ...clusters],
        {
            env: commandEnv(workspace, {}),
            timeout: 300_000,
            maxBuffer: 64 << 20,
        },
    );
    return JSON.parse(stdout.trim().split("\n").pop()!);
}

/** What the operator's CLI shows for a slice (`slice-ipam show -o json`). */
async function cliShow(slice: string): Promise<{ allocations: { clusterName: string; subnet: string; status: string }[] }> {
    const { stdout } = await run(process.execPath, [path.join(REPO, "dist/bin/slice-ipam.js"), "show", slice, "--store-dir", store, "-o", "json"]);
    return JSON.parse(stdout);
}

describe("the native provider from a Go program, through the generated Go SDK", () => {
    it("registers the slice and allocates", async () => {
        const up = await goConsumer("up", ["g-1", "g-2"]);
        expect(up.changes).toEqual({ create: 4 });
        expect(up.totalSubnets).toBe(256);
        expect(Object.values(up.subnets!).sort()).toEqual(["10.60.0.0/24", "10.60.1.0/24"]);
        expect(subnetsIn(await readLedger(store, "olive"), "Allocated")).toEqual(up.subnets);
    });

    it("previews no changes, then adds one cluster with exactly one create", async () => {
        expect((await goConsumer("preview", ["g-1", "g-2"])).changes).toMatchObject({ same: 4 });
        const up = await goConsumer("up", ["g-1", "g-2", "g-3"]);
        expect(up.changes).toEqual({ create: 1, same: 4 });
        expect(up.subnets!["g-3"]).toBe("10.60.2.0/24");
    });

    it("imports an allocation another stack made with the pulumi.Import option: same subnet, nothing allocated", async () => {
        const platform = await goConsumer("up", ["p-1"], { stack: "platform", flags: ["-allocations-only"] });
        expect(platform.subnets).toEqual({ "p-1": "10.60.3.0/24" });

        const up = await goConsumer("up", ["g-1", "g-2", "g-3", "p-1"], { flags: ["-import", `p-1=olive/p-1@file:${store}`] });
        expect(up.changes).toEqual({ import: 1, same: 5 });
        expect(up.subnets!["p-1"]).toBe("10.60.3.0/24");
        const ledger = await readLedger(store, "olive");
        expect(ledger.allocations.filter((a) => a.clusterName === "p-1")).toHaveLength(1);
        expect(ledger.allocations).toHaveLength(4);
        // Declared as imported, the next preview changes nothing.
        expect((await goConsumer("preview", ["g-1", "g-2", "g-3", "p-1"])).changes).toEqual({ same: 6 });

        // Hand it back to the platform stack without releasing it: forget it here.
        const urn = "urn:pulumi:dev::go-consumer::kubeslice-ipam:index:SubnetAllocation::olive-p-1";
        await workspace.run(workDir, ["state", "delete", urn, "--force", "--yes", "--stack", "dev"]);
        expect((await goConsumer("preview", ["g-1", "g-2", "g-3"])).changes).toEqual({ same: 5 });
        expect(subnetsIn(await readLedger(store, "olive"), "Allocated")["p-1"]).toBe("10.60.3.0/24");
    });

    it("finds a subnet released by hand with refresh, and up takes it back", async () => {
        // g-1 and g-2 were created in parallel: which got which subnet is the engine's order.
        const held = subnetsIn(await readLedger(store, "olive"), "Allocated")["g-2"];
        await editLedger(store, "olive", (doc) => {
            const entry = doc.allocations.find((a) => a.clusterName === "g-2")!;
            Object.assign(entry, { status: "Released", releasedAt: new Date().toISOString() });
        });
        expect((await cliShow("olive")).allocations.find((a) => a.clusterName === "g-2")?.status).toBe("Released");

        const refresh = await goConsumer("refresh", ["g-1", "g-2", "g-3"]);
        expect(refresh.changes).toEqual({ update: 1, same: 4 });
        const up = await goConsumer("up", ["g-1", "g-2", "g-3"]);
        expect(up.changes).toEqual({ update: 1, same: 4 });
        expect(up.subnets!["g-2"]).toBe(held);
        expect((await cliShow("olive")).allocations.find((a) => a.clusterName === "g-2")).toMatchObject({ status: "Allocated", subnet: held });
    });

    it("destroys: the other stack's allocation released by its own destroy, then the slice unregistered", async () => {
        expect((await goConsumer("destroy", [], { stack: "platform", flags: ["-allocations-only"] })).changes).toEqual({ delete: 2 });
        expect(subnetsIn(await readLedger(store, "olive"), "Released")).toEqual({ "p-1": "10.60.3.0/24" });
        expect((await goConsumer("destroy", [])).changes).toEqual({ delete: 5 });
        expect(await sliceIsGone(store, "olive")).toBe(true);
    });
});

describe("the KubeSliceIpam component from a Go program (the native provider's construct)", () => {
    const component = ["-component", "-slice", "jade", "-pool", "10.61.0.0/16"];

    it("creates the component and its children, planned and allocated", async () => {
        const up = await goConsumer("up", ["j-1", "j-2"], { stack: "component", flags: component });
        // The stack, the component, its SliceIpam and one SubnetAllocation per cluster.
        expect(up.changes).toEqual({ create: 5 });
        expect(up.subnets).toEqual({ "j-1": "10.61.0.0/24", "j-2": "10.61.1.0/24" });
        expect(up.availableSubnets).toBe(254);
        expect(subnetsIn(await readLedger(store, "jade"), "Allocated")).toEqual(up.subnets);
    });

    it("adds a cluster with exactly one create, and destroys", async () => {
        const up = await goConsumer("up", ["j-1", "j-2", "j-3"], { stack: "component", flags: component });
        expect(up.changes).toEqual({ create: 1, same: 5 });
        expect(up.subnets!["j-3"]).toBe("10.61.2.0/24");
        expect(subnetsIn(await readLedger(store, "jade"), "Allocated")).toEqual(up.subnets);
        expect((await goConsumer("destroy", [], { stack: "component", flags: component })).changes).toEqual({ delete: 6 });
        expect(await sliceIsGone(store, "jade")).toBe(true);
    });
});

describe("the native provider from a Go program, Kubernetes store", () => {
    let server: TestApiServer;
    let kubeconfigFile: string;
    const namespace = `native-go-${randomBytes(3).toString("hex")}`;
    const flags = () => ["-slice", "plum", "-pool", "10.62.0.0/16", "-kube-namespace", namespace, "-kubeconfig", kubeconfigFile];

    beforeAll(async () => {
        server = await startTestApiServer([path.join(REPO, "deploy/kubernetes/sliceipam-crd.yaml")]);
        kubeconfigFile = path.join(workspace.dir, "kubeconfig");
        await fs.writeFile(kubeconfigFile, server.kubeconfig);
    });

    afterAll(async () => {
        await server?.stop();
    });

    it("allocates in the cluster's SliceIpam, the kubeconfig secret in state, then destroys", async () => {
        const up = await goConsumer("up", ["k-1", "k-2"], { stack: "kube", flags: flags() });
        expect(up.changes).toEqual({ create: 4 });
        const loaded = await new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig }).load("plum");
        expect(Object.fromEntries(loaded!.ledger.allocations.map((a) => [a.clusterName, a.subnet]))).toEqual(up.subnets);
        expect(Object.values(up.subnets!).sort()).toEqual(["10.62.0.0/24", "10.62.1.0/24"]);

        const state = (await workspace.run(workDir, ["stack", "export", "--stack", "kube"])).stdout;
        expect(state).toContain("kubeslice-ipam:index:SubnetAllocation");
        expect(state).not.toContain(/client-key-data: (\S+)/.exec(server.kubeconfig)![1]);
        expect(state).not.toContain("client-key-data");
        expect((await goConsumer("preview", ["k-1", "k-2"], { stack: "kube", flags: flags() })).changes).toEqual({ same: 4 });

        expect((await goConsumer("destroy", [], { stack: "kube", flags: flags() })).changes).toEqual({ delete: 4 });
        expect(await new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig }).load("plum")).toBeUndefined();
    });
});
