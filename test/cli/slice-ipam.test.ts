/**
 * The built `slice-ipam` command as operators run it: a child process
 * reading real ledger files in a temporary directory, checked by exit code
 * and output. Every run passes --now, so ages and grace periods never depend
 * on the clock.
 */
import { ChildProcess, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { findRepoRoot } from "../support/provider-host";
import { parseExposition, sampleValue, samplesOf } from "../support/prometheus-text";
import { makeTempDir } from "../support/temp-dir";

const CLI = path.join(findRepoRoot(__dirname), "dist", "bin", "slice-ipam.js");
const NOW = "2025-11-19T15:30:00Z";
const clockAt = (iso: string) => () => new Date(iso);

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

function start(args: readonly string[], cwd: string): ChildProcess {
    return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

function sliceIpam(args: readonly string[], cwd = project.dir): Promise<Run> {
    const child = start(args, cwd);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    return new Promise((resolve) =>
        child.once("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        }),
    );
}

let project: ReturnType<typeof makeTempDir>;
let storeDir: string;
let store: FileLedgerStore;

beforeAll(async () => {
    project = makeTempDir("slice-ipam-cli-");
    storeDir = path.join(project.dir, ".slice-ipam");
    store = new FileLedgerStore(storeDir);
    // The guide's my-slice: cluster-2 left at 14:00 and keeps its subnet for 24 h.
    await registerSlice(store, sliceSpecSchema.parse({ sliceName: "my-slice", sliceSubnet: "10.1.0.0/16" }), clockAt("2025-11-19T10:00:00Z"));
    await allocateSubnet(store, "my-slice", "cluster-1", clockAt("2025-11-19T10:00:00Z"));
    await allocateSubnet(store, "my-slice", "cluster-2", clockAt("2025-11-19T10:05:00Z"));
    await allocateSubnet(store, "my-slice", "cluster-3", clockAt("2025-11-19T10:10:00Z"));
    await releaseSubnet(store, "my-slice", "cluster-2", clockAt("2025-11-19T14:00:00Z"));
    await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }), clockAt("2025-11-19T15:25:00Z"));
    await allocateSubnet(store, "blue", "worker-1", clockAt("2025-11-19T15:26:00Z"));
});

afterAll(() => project?.remove());

describe("status", () => {
    it("prints one row per slice, like kubectl get sliceipam", async () => {
        const run = await sliceIpam(["status", "--now", NOW]);
        expect(run).toEqual({
            code: 0,
            stderr: "",
            stdout:
                "NAME       SLICE SUBNET   SUBNET SIZE   AVAILABLE   TOTAL   UTILIZATION   AGE\n" +
                "blue       10.2.0.0/16    24            255         256     0.4%          5m\n" +
                "my-slice   10.1.0.0/16    24            253         256     0.8%          5h30m\n",
        });
    });

    it("reads the default store, .slice-ipam in the current directory", async () => {
        const run = await sliceIpam(["status", "my-slice", "--now", NOW], project.dir);
        expect(run.code).toBe(0);
        expect(run.stdout.split("\n")).toHaveLength(3);
    });

    it("prints the same figures as JSON and YAML", async () => {
        const json = await sliceIpam(["status", "--store-dir", storeDir, "--now", NOW, "-o", "json"], "/");
        const yaml = await sliceIpam(["--output", "yaml", "status", "--store-dir", storeDir, "--now", NOW], "/");
        expect([json.code, yaml.code]).toEqual([0, 0]);
        const slices = JSON.parse(json.stdout);
        expect(parseYaml(yaml.stdout)).toEqual(slices);
        expect(slices[1]).toEqual({
            name: "my-slice",
            sliceSubnet: "10.1.0.0/16",
            subnetSize: 24,
            availableSubnets: 253,
            totalSubnets: 256,
            allocatedSubnets: 2,
            releasedSubnets: 1,
            utilization: 2 / 256,
            gracePeriodSeconds: 86400,
            maxClusters: 4096,
            registeredAt: "2025-11-19T10:00:00.000Z",
            ageSeconds: 5.5 * 3600,
        });
    });

    it("notes an empty store on stderr", async () => {
        const empty = makeTempDir();
        try {
            const run = await sliceIpam(["status", "--store-dir", empty.dir]);
            expect(run).toEqual({ code: 0, stdout: "", stderr: `no slices in file store ${empty.dir}\n` });
        } finally {
            empty.remove();
        }
    });
});

describe("show", () => {
    it("lists a slice's allocations with the grace left to Released ones", async () => {
        const run = await sliceIpam(["show", "my-slice", "--now", NOW]);
        expect(run.code).toBe(0);
        expect(run.stdout).toBe(
            [
                "CLUSTER     SUBNET        STATUS      ALLOCATED              RELEASED               GRACE LEFT",
                "cluster-1   10.1.0.0/24   Allocated   2025-11-19T10:00:00Z   -                      -",
                "cluster-2   10.1.1.0/24   Released    2025-11-19T10:05:00Z   2025-11-19T14:00:00Z   22h",
                "cluster-3   10.1.2.0/24   Allocated   2025-11-19T10:10:00Z   -                      -",
                "",
            ].join("\n"),
        );
    });

    it("says expired once the grace period is over", async () => {
        const run = await sliceIpam(["show", "my-slice", "--now", "2025-11-20T14:00:00Z"]);
        expect(run.stdout).toMatch(/^cluster-2 .* expired$/m);
    });

    it("prints the slice and its allocations as JSON", async () => {
        const run = await sliceIpam(["show", "my-slice", "--now", NOW, "-o", "json"]);
        const shown = JSON.parse(run.stdout);
        expect(shown.slice).toMatchObject({ name: "my-slice", availableSubnets: 253 });
        expect(shown.allocations[1]).toEqual({
            clusterName: "cluster-2",
            subnet: "10.1.1.0/24",
            index: 1,
            status: "Released",
            allocatedAt: "2025-11-19T10:05:00.000Z",
            releasedAt: "2025-11-19T14:00:00.000Z",
            graceEndsAt: "2025-11-20T14:00:00.000Z",
            graceLeftSeconds: 22.5 * 3600,
            reclaimable: false,
        });
    });
});

describe("check", () => {
    it("exits 0 when the expected clusters are the ledger's active ones", async () => {
        const run = await sliceIpam(["check", "my-slice", "--clusters", "cluster-3,cluster-1"]);
        expect(run.code).toBe(0);
        expect(run.stdout).toContain('slice "my-slice": consistent');
    });

    it("exits 1 and names the clusters on a mismatch", async () => {
        const run = await sliceIpam(["check", "my-slice", "--clusters", "cluster-1,cluster-2"]);
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/^cluster-2 +yes +Released +10\.1\.1\.0\/24 +missing$/m);
        expect(run.stdout).toMatch(/^cluster-3 +no +Allocated +10\.1\.2\.0\/24 +unexpected$/m);
        expect(run.stdout).toContain("(cluster-2): run `pulumi up`");
    });

    it("reads the expected clusters from a SliceConfig YAML", async () => {
        const file = path.join(project.dir, "sliceconfig.yaml");
        await fs.writeFile(
            file,
            "apiVersion: controller.kubeslice.io/v1alpha1\nkind: SliceConfig\nmetadata:\n  name: my-slice\n" +
                "spec:\n  sliceSubnet: 10.1.0.0/16\n  clusters:\n    - cluster-1\n    - cluster-3\n    - cluster-4\n",
        );
        const run = await sliceIpam(["check", "my-slice", "--slice-config", file, "-o", "json"]);
        expect(run.code).toBe(1);
        expect(JSON.parse(run.stdout)).toMatchObject({ consistent: false, missing: ["cluster-4"], unexpected: [] });
    });

    it.each([
        [["check", "my-slice"], "pass --clusters a,b,c or --slice-config <file>"],
        [["check", "my-slice", "--clusters", "a", "--slice-config", "x.yaml"], "cannot be used with option '--slice-config"],
        [["check", "my-slice", "--slice-config", "missing.yaml"], "cannot read SliceConfig file"],
    ])("exits 2 for %j", async (args, message) => {
        const run = await sliceIpam(args);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain(message);
    });
});

describe("savings", () => {
    it("reproduces the guide's 10-slice example: 655,360 static vs 7,680 dynamic addresses, 98.8 %", async () => {
        const dir = path.join(project.dir, "ten-slices");
        const tenSlices = new FileLedgerStore(dir);
        for (let i = 0; i < 10; i++) {
            await registerSlice(tenSlices, sliceSpecSchema.parse({ sliceName: `slice-${i}`, sliceSubnet: `10.${i}.0.0/16` }));
            await Promise.all(["c1", "c2", "c3"].map((cluster) => allocateSubnet(tenSlices, `slice-${i}`, cluster)));
        }
        const table = await sliceIpam(["savings", "--store-dir", dir, "--now", NOW]);
        expect(table.code).toBe(0);
        expect(table.stdout.split("\n")[0]).toBe("NAME      SUBNET SIZE   CLUSTERS   STATIC IPS   DYNAMIC IPS   SAVED IPS   SAVINGS");
        expect(table.stdout).toMatch(/^TOTAL +30 +655,360 +7,680 +647,680 +98\.8%$/m);
        const json = JSON.parse((await sliceIpam(["savings", "--store-dir", dir, "-o", "json"])).stdout);
        expect(json.total).toMatchObject({ slices: 10, staticAddresses: 655_360, dynamicAddresses: 7_680 });
    });
});

describe("errors", () => {
    it("exits 3 for a store that does not exist, naming it and --store-dir", async () => {
        const run = await sliceIpam(["status", "--store-dir", "no-such-dir"]);
        expect(run.code).toBe(3);
        expect(run.stderr).toBe(
            `error: file store ${path.join(project.dir, "no-such-dir")} does not exist. Run slice-ipam in the Pulumi ` +
                `project directory, or pass --store-dir with the directory of the resources' store input (default .slice-ipam).\n`,
        );
    });

    it("exits 4 for an unknown slice, listing the slices the store holds", async () => {
        const run = await sliceIpam(["show", "red"]);
        expect(run.code).toBe(4);
        expect(run.stderr).toBe(
            `error: slice "red" is not registered in file store ${storeDir}. It holds: blue, my-slice. Check the slice ` +
                `name, or pass --store-dir with the store its SliceIpam uses.\n`,
        );
    });

    it("exits 5 for a corrupt document, naming the file; other slices still show", async () => {
        const dir = path.join(project.dir, "corrupt");
        await fs.mkdir(dir);
        await fs.cp(path.join(storeDir, "blue"), path.join(dir, "blue"), { recursive: true });
        await fs.writeFile(path.join(dir, "broken.json"), "{ not json");
        const status = await sliceIpam(["status", "--store-dir", dir]);
        expect(status.code).toBe(5);
        expect(status.stderr).toContain(`error: ${path.join(dir, "broken.json")} is not a valid slice ledger and was left untouched`);
        expect(status.stderr).toContain("Restore it from a backup or correct it by hand");
        expect((await sliceIpam(["show", "blue", "--store-dir", dir])).code).toBe(0);
        const metrics = await sliceIpam(["metrics", "--store-dir", dir]);
        expect(metrics.code).toBe(5);
        // Printed all the same: the readable slice, and the broken one marked.
        expect(metrics.stdout).toMatch(/^ipam_total_subnets\{slice="blue"\} \d+$/m);
        expect(metrics.stdout).toMatch(/^ipam_slice_unreadable\{slice="broken"\} 1$/m);
    });

    it.each([
        [["status", "-o", "xml"], "argument 'xml' is invalid. Allowed choices are table, json, yaml"],
        [["status", "--now", "yesterday"], '--now "yesterday" is not an ISO-8601 time'],
        [["stats"], "unknown command 'stats'"],
        [["show", "Not_A_Slice"], 'slice name "Not_A_Slice" is not a valid DNS-1123 label'],
        [["status", "--store", "s3"], 'store.kind must be "file" or "kubernetes"'],
        [["status", "--store", "kubernetes"], "store.namespace must be the namespace of the SliceIpam objects"],
        [["metrics", "--listen", "nowhere"], 'listen address "nowhere" is not host:port'],
        [[], "Usage: slice-ipam"],
    ])("exits 2 for %j", async (args, message) => {
        const run = await sliceIpam(args);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain(message);
    });
});

describe("metrics", () => {
    it("prints the exposition format once", async () => {
        const run = await sliceIpam(["metrics", "--now", NOW]);
        expect(run.code).toBe(0);
        expect(parseExposition(run.stdout)).toHaveLength(14);
        const samples = samplesOf(run.stdout);
        expect(
            sampleValue(samples, "ipam_slice_info", {
                slice: "my-slice",
                ip_family: "ipv4",
                slice_subnet: "10.1.0.0/16",
                subnet_size: "24",
                total_subnets: "256",
                reserved_subnets: "0",
            }),
        ).toBe(1);
        expect(sampleValue(samples, "ipam_reserved_subnets", { slice: "my-slice" })).toBe(0);
        expect(sampleValue(samples, "ipam_allocated_subnets", { slice: "my-slice" })).toBe(2);
        expect(sampleValue(samples, "ipam_inuse_subnets", { slice: "my-slice" })).toBe(0);
        expect(sampleValue(samples, "ipam_reclaimable_subnets", { slice: "my-slice" })).toBe(0);
        expect(sampleValue(samples, "ipam_available_subnets", { slice: "my-slice" })).toBe(253);
        expect(sampleValue(samples, "ipam_allocations_total", { slice: "my-slice", status: "success" })).toBe(3);
        expect(sampleValue(samples, "ipam_releases_total", { slice: "my-slice" })).toBe(1);
        expect(sampleValue(samples, "ipam_allocation_latency_seconds_count", { slice: "my-slice" })).toBe(3);
    });

    it("prints the samples as JSON with -o json", async () => {
        const families = JSON.parse((await sliceIpam(["metrics", "-o", "json", "--now", NOW])).stdout);
        expect(families.find((f: { name: string }) => f.name === "ipam_total_subnets").values).toEqual([
            { labels: { slice: "blue" }, value: 256 },
            { labels: { slice: "my-slice" }, value: 256 },
        ]);
    });

    it("serves /metrics over HTTP, reading the store on every scrape, and stops cleanly on SIGTERM", async () => {
        const served = makeTempDir();
        const servedStore = new FileLedgerStore(served.dir);
        await registerSlice(servedStore, sliceSpecSchema.parse({ sliceName: "green", sliceSubnet: "10.3.0.0/16" }));
        const child = start(["metrics", "--listen", "127.0.0.1:0", "--cache-seconds", "0", "--store-dir", served.dir], "/");
        const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
        let stderr = "";
        try {
            const url = await new Promise<string>((resolve, reject) => {
                const lines = createInterface({ input: child.stderr! });
                lines.on("line", (line) => {
                    stderr += `${line}\n`;
                    const match = /^serving metrics of file store .* at (http:\/\/127\.0\.0\.1:\d+\/metrics)$/.exec(line);
                    if (match) resolve(match[1]);
                });
                child.once("close", () => reject(new Error(`exporter exited before serving:\n${stderr}`)));
            });
            const scrape = async () => {
                const response = await fetch(url);
                expect(response.status).toBe(200);
                expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
                const text = await response.text();
                expect(parseExposition(text).map((f) => f.name)).toContain("ipam_utilization_rate");
                return samplesOf(text);
            };
            expect(sampleValue(await scrape(), "ipam_allocated_subnets", { slice: "green" })).toBe(0);
            await allocateSubnet(servedStore, "green", "worker-1");
            const after = await scrape();
            expect(sampleValue(after, "ipam_allocated_subnets", { slice: "green" })).toBe(1);
            expect(sampleValue(after, "ipam_utilization_rate", { slice: "green" })).toBe(1 / 256);
            expect(sampleValue(after, "ipam_allocations_total", { slice: "green", status: "success" })).toBe(1);
            child.kill("SIGTERM");
            expect(await closed).toBe(0);
            expect(stderr).toContain("stopped\n");
        } finally {
            clearTimeout(killer);
            child.kill("SIGKILL");
            served.remove();
        }
    });

    it("exits 6 when the port is taken", async () => {
        const { createServer } = await import("node:net");
        const blocker = createServer();
        await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
        try {
            const port = (blocker.address() as { port: number }).port;
            const run = await sliceIpam(["metrics", "--listen", `127.0.0.1:${port}`]);
            expect(run.code).toBe(6);
            expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
            expect(run.stderr).toContain("choose another --listen address");
        } finally {
            await new Promise((resolve) => blocker.close(resolve));
        }
    });
});
