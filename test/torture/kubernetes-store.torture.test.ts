/**
 * The Kubernetes store under faults, against the project's real API server
 * (apiextensions-apiserver + embedded etcd): many writer processes on one
 * slice, `kill -9` of writers, API server restarts while writers and readers
 * run, hostile objects, and the orphan sweep run by a process whose clock is
 * hours ahead while others write. Every scenario ends with the detectors of
 * ./detectors.ts over the workers' journals and the final objects.
 *
 * `npm test` runs the quick form; `npm run torture` the full one.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, findSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { CorruptLedgerError } from "../../provider/store/ledger-document";
import { RECENT_LIMIT } from "../../provider/store/sliceipam-recent";
import { ANNOTATION_LEDGER } from "../../provider/store/sliceipam-shard";
import { findRepoRoot } from "../support/provider-host";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { unreferencedShards } from "../support/kube-store-probes";
import { allViolations, giveUps, JournalEntry, missedReads, StoredEntry, StoredEvent, Violation } from "./detectors";
import { completed, journalsIn, killRounds, startWorker } from "./worker-runs";

// The history detector replays each slice's history: keep all of it that the store can (the workers inherit this).
process.env.KUBESLICE_IPAM_HISTORY_MAX_EVENTS = "10000000";

const FULL = process.env.TORTURE_SCALE === "full";
const SCALE = FULL
    ? { processes: 6, lanes: 4, opsPerLane: 40, killRounds: 12, restarts: 4, sweepWriters: 4 }
    : { processes: 6, lanes: 4, opsPerLane: 5, killRounds: 2, restarts: 1, sweepWriters: 3 };
const CLI = path.join(findRepoRoot(__dirname), "dist/bin/slice-ipam.js");
const CRD = path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml");
const GROUP = { group: "controller.kubeslice.io", version: "v1alpha1", plural: "sliceipams" };
const run = promisify(execFile);

interface Figures {
    scenario: string;
    operations: number;
    rounds: number;
    violations: number;
    giveUps: number;
    failures: number;
    /** Acknowledged writes' latency: median and 95th percentile, ms. */
    latency?: { median: number; p95: number };
}
const figures: Figures[] = [];

let server: TestApiServer;
let scratch: string;
beforeAll(async () => {
    server = await startTestApiServer([CRD]);
    scratch = mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-kube-torture-"));
}, 1_200_000);
afterAll(async () => {
    const lines = figures.map(
        (f) =>
            `  ${f.scenario.padEnd(30)} operations ${String(f.operations).padStart(5)}  rounds ${String(f.rounds).padStart(3)}  ` +
            `failures ${f.failures}  violations ${f.violations}  give-ups ${f.giveUps}` +
            (f.latency === undefined ? "" : `  write latency median ${f.latency.median} ms, p95 ${f.latency.p95} ms`),
    );
    console.log(`Kubernetes store torture (${FULL ? "full" : "quick"} form):\n${lines.join("\n")}`);
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
});

interface WorkerSettings {
    store: { kind: "kubernetes"; namespace: string; kubeconfig: string };
    slice: string;
    prefix: string;
    journal: string;
    lanes: number;
    opsPerLane: number;
    clustersPerLane: number;
    releaseRatio: number;
    readRatio?: number;
    seed: number;
}

const freshNamespace = () => `ns-${randomBytes(4).toString("hex")}`;
const storeIn = (namespace: string) => new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });
const objects = () => server.config.makeApiClient(server.client.CustomObjectsApi);

async function registered(slice: string): Promise<string> {
    const namespace = freshNamespace();
    await registerSlice(storeIn(namespace), sliceSpecSchema.parse({ sliceName: slice, sliceSubnet: "10.9.0.0/16" }));
    return namespace;
}

function settingsFor(namespace: string, slice: string, prefix: string, overrides: Partial<WorkerSettings> = {}): WorkerSettings {
    return {
        store: { kind: "kubernetes", namespace, kubeconfig: server.kubeconfig },
        slice,
        prefix,
        journal: path.join(scratch, `${namespace}-${prefix}.journal`),
        lanes: SCALE.lanes,
        opsPerLane: SCALE.opsPerLane,
        clustersPerLane: 6,
        releaseRatio: 0.3,
        seed: [...prefix].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) >>> 0, 11),
        ...overrides,
    };
}

async function storedEntries(namespace: string, slice: string): Promise<StoredEntry[]> {
    return [...((await storeIn(namespace).load(slice))?.ledger.allocations ?? [])];
}

async function storedHistory(namespace: string, slice: string): Promise<StoredEvent[]> {
    return [...((await storeIn(namespace).load(slice))?.ledger.history ?? [])];
}

const failures = (journal: readonly JournalEntry[]) => completed(journal).filter((entry) => entry.error !== undefined);

function latencyOf(journal: readonly JournalEntry[]): { median: number; p95: number } | undefined {
    const times = journal.flatMap((entry) => (entry.ms === undefined ? [] : [entry.ms])).sort((a, b) => a - b);
    const at = (share: number) => times[Math.min(times.length - 1, Math.floor(share * times.length))];
    return times.length === 0 ? undefined : { median: at(0.5), p95: at(0.95) };
}

function report(scenario: string, journal: readonly JournalEntry[], violations: readonly Violation[], rounds = 0): void {
    figures.push({
        latency: latencyOf(journal),
        scenario,
        operations: completed(journal).length,
        rounds,
        violations: violations.length,
        giveUps: violations.filter((v) => v.detector === "give-up").length,
        failures: failures(journal).length,
    });
}

describe("Kubernetes store torture", () => {
    it(`contention: ${SCALE.processes} processes × ${SCALE.lanes} concurrent operations on one slice, no failure, no give-up`, async () => {
        const namespace = await registered("soak");
        const settings = Array.from({ length: SCALE.processes }, (_, i) => settingsFor(namespace, "soak", `p${i}`, { readRatio: 0.1 }));
        const workers = settings.map(startWorker);
        await Promise.all(workers.map((w) => w.ready));
        for (const result of await Promise.all(workers.map((w) => w.exited))) {
            expect(result).toEqual({ code: 0, stderr: "" });
        }
        const journal = journalsIn(settings.map((s) => s.journal));
        const violations = allViolations(journal, await storedEntries(namespace, "soak"), await storedHistory(namespace, "soak"));
        report("contention", journal, violations);
        expect(failures(journal)).toEqual([]);
        expect(violations).toEqual([]);
    }, 900_000);

    it(`API server restarts (${SCALE.restarts}) while writers and readers run: no acknowledged release or allocation lost, no read misses`, async () => {
        const namespace = await registered("restart");
        // Enough operations per lane to outlast the restarts; each stays retried while the server is away.
        const settings = Array.from({ length: 3 }, (_, i) =>
            settingsFor(namespace, "restart", `r${i}`, { lanes: 3, opsPerLane: 30 * SCALE.restarts, readRatio: 0.4, releaseRatio: 0.4 }),
        );
        const workers = settings.map(startWorker);
        await Promise.all(workers.map((w) => w.ready));
        const restarts = (async () => {
            for (let round = 0; round < SCALE.restarts; round++) {
                await new Promise((resolve) => setTimeout(resolve, 1_500));
                await server.kill();
                await server.resume();
            }
        })();
        await restarts;
        for (const result of await Promise.all(workers.map((w) => w.exited))) {
            expect(result).toEqual({ code: 0, stderr: "" });
        }
        const journal = journalsIn(settings.map((s) => s.journal));
        const violations = allViolations(journal, await storedEntries(namespace, "restart"), await storedHistory(namespace, "restart"));
        report("API server restarts", journal, violations, SCALE.restarts);
        expect(violations).toEqual([]);
        // Retried until the server was back: nothing failed, and nothing was acknowledged without its write.
        expect(failures(journal)).toEqual([]);
        expect(completed(journal).filter((entry) => entry.op === "release").length).toBeGreaterThan(0);
    }, 900_000);

    it(`kill -9: ${SCALE.killRounds} rounds of a writer killed at a random moment beside a live one`, async () => {
        const namespace = await registered("killed");
        const journals = await killRounds(
            SCALE.killRounds,
            { min: 50, max: 1_500 },
            (round) => ({
                victim: settingsFor(namespace, "killed", `k${round}`, { lanes: 3, opsPerLane: 1_000, clustersPerLane: 1 }),
                survivor: settingsFor(namespace, "killed", `s${round}`, { lanes: 1, opsPerLane: 6, clustersPerLane: 1 }),
            }),
            (survivor) => expect(survivor.code).toBe(0),
        );
        const journal = journalsIn(journals);
        const violations = allViolations(journal, await storedEntries(namespace, "killed"), await storedHistory(namespace, "killed"));
        report("kill -9", journal, violations, SCALE.killRounds);
        expect(violations).toEqual([]);
        // A killed writer's shards are orphans the sweep removes once the head has moved on.
        await allocateSubnet(storeIn(namespace), "killed", "after-the-kills");
        await storeIn(namespace).sweep("killed");
        expect(await unreferencedShards(server, namespace, "killed")).toEqual([]);
    }, 900_000);

    it("the orphan sweep, run by a process whose clock is 3 hours ahead, in a loop while writers commit: nothing referenced is deleted", async () => {
        const namespace = await registered("swept");
        const settings = Array.from({ length: SCALE.sweepWriters }, (_, i) => settingsFor(namespace, "swept", `w${i}`, { lanes: 3, readRatio: 0.2 }));
        const workers = settings.map(startWorker);
        await Promise.all(workers.map((w) => w.ready));
        const now = Date.now();
        const clock = vi.spyOn(Date, "now").mockImplementation(() => now + 3 * 3_600_000 + performance.now());
        let sweeps = 0;
        let writing = true;
        const exited = Promise.all(workers.map((w) => w.exited)).finally(() => (writing = false));
        try {
            while (writing) {
                await storeIn(namespace).sweep("swept");
                sweeps++;
            }
        } finally {
            clock.mockRestore();
        }
        for (const result of await exited) {
            expect(result).toEqual({ code: 0, stderr: "" });
        }
        const journal = journalsIn(settings.map((s) => s.journal));
        const violations = allViolations(journal, await storedEntries(namespace, "swept"), await storedHistory(namespace, "swept"));
        report("sweep with a skewed clock", journal, violations, sweeps);
        expect(sweeps).toBeGreaterThan(0);
        expect(failures(journal)).toEqual([]);
        expect(violations).toEqual([]);
    }, 900_000);

    it("hostile objects: each broken slice is refused by name and left as it was; the others and the CLI go on", async () => {
        const namespace = freshNamespace();
        const store = storeIn(namespace);
        const names = ["healthy", "null-ledger", "missing-shard", "bad-counters", "wrong-kind", "bad-recent"];
        for (const name of names) {
            await registerSlice(store, sliceSpecSchema.parse({ sliceName: name, sliceSubnet: `10.${names.indexOf(name) + 20}.0.0/16` }));
            await allocateSubnet(store, name, "worker-1");
        }
        // More changes than the head holds as recent entries: worker-1 is in a shard.
        for (let i = 0; i < RECENT_LIMIT; i++) {
            await allocateSubnet(store, "missing-shard", `worker-1-${i}`);
        }
        const tamper = async (name: string, edit: (head: any) => void) => {
            const head = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name })) as any;
            edit(head);
            await objects().replaceNamespacedCustomObject({ ...GROUP, namespace, name, body: head });
        };
        await tamper("null-ledger", (head) => (head.metadata.annotations[ANNOTATION_LEDGER] = "null"));
        await tamper("missing-shard", (head) => {
            const ledger = JSON.parse(head.metadata.annotations[ANNOTATION_LEDGER]);
            ledger.shards = ledger.shards.map((ref: string) => ref.replace(/^(\d+):[0-9a-f]+:/, "$1:0123456789ab:"));
            head.metadata.annotations[ANNOTATION_LEDGER] = JSON.stringify(ledger);
        });
        await tamper("bad-counters", (head) => (head.metadata.annotations["ipam.kubeslice-ipam.io/counters"] = "[1,2"));
        await tamper("wrong-kind", (head) => (head.metadata.annotations[ANNOTATION_LEDGER] = '"a string"'));
        await tamper("bad-recent", (head) => {
            const ledger = JSON.parse(head.metadata.annotations[ANNOTATION_LEDGER]);
            ledger.recent[0].subnet = "10.25.7.0/24"; // not the subnet of its index
            head.metadata.annotations[ANNOTATION_LEDGER] = JSON.stringify(ledger);
        });
        const broken = names.filter((name) => name !== "healthy");
        for (const name of broken) {
            const before = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name })) as any;
            for (const operation of [
                () => allocateSubnet(storeIn(namespace), name, "worker-2"),
                () => releaseSubnet(storeIn(namespace), name, "worker-1"),
                () => findSubnet(storeIn(namespace), name, "worker-1"),
            ]) {
                const error = await operation().then(
                    () => undefined,
                    (e: Error) => e,
                );
                expect(error, name).toBeInstanceOf(CorruptLedgerError);
                expect(error!.message).toContain(`SliceIpam ${namespace}/${name}`);
            }
            const after = (await objects().getNamespacedCustomObject({ ...GROUP, namespace, name })) as any;
            expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion); // nothing written
        }
        expect((await allocateSubnet(storeIn(namespace), "healthy", "worker-2")).allocation.subnet).toBe("10.20.1.0/24");

        const kubeconfig = path.join(scratch, `${namespace}.kubeconfig`);
        writeFileSync(kubeconfig, server.kubeconfig);
        const cli = (...args: string[]) =>
            run(process.execPath, [CLI, "--store", "kubernetes", "--namespace", namespace, "--kubeconfig", kubeconfig, ...args]).then(
                ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
                (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
            );
        const status = await cli("status");
        expect(status.code).toBe(5);
        expect(status.stdout).toMatch(/^healthy\s+10\.20\.0\.0\/16\s+24\s+254\s+256/m);
        for (const name of broken) {
            expect(status.stdout).toMatch(new RegExp(`^${name}\\s+UNREADABLE`, "m"));
            expect(status.stderr).toContain(`SliceIpam ${namespace}/${name}`);
        }
        expect(status.stderr).not.toMatch(/Cannot read properties|TypeError/);
        const show = await cli("show", "healthy");
        expect(show).toMatchObject({ code: 0, stderr: "" });
        expect(show.stdout).toMatch(/worker-2\s+10\.20\.1\.0\/24/);
        // The exporter goes on too: the healthy slice's series, and each broken one marked, named on stderr.
        const metrics = await cli("metrics");
        expect(metrics.code).toBe(5); // printed once: the exit code names the problem, as status's does
        expect(metrics.stdout).toMatch(/^ipam_total_subnets\{slice="healthy"\} 256$/m);
        expect(metrics.stdout).toMatch(/^ipam_slice_unreadable\{slice="healthy"\} 0$/m);
        for (const name of broken) {
            expect(metrics.stdout).toMatch(new RegExp(`^ipam_slice_unreadable\\{slice="${name}"\\} 1$`, "m"));
            expect(metrics.stderr).toContain(`SliceIpam ${namespace}/${name}`);
        }
        const showBroken = await cli("show", "null-ledger");
        expect(showBroken.code).toBe(5);
        expect(showBroken.stderr).toContain(`SliceIpam ${namespace}/null-ledger`);
        figures.push({ scenario: "hostile objects", operations: broken.length * 3, rounds: 0, violations: 0, giveUps: 0, failures: 0 });
    }, 300_000);

    it("every detector fails on a corrupted journal or ledger", () => {
        const stored: StoredEntry[] = [{ clusterName: "a", subnet: "10.9.0.0/24", index: 0, status: "Allocated" }];
        const journal: JournalEntry[] = [{ op: "allocate", cluster: "a", subnet: "10.9.0.0/24", index: 0 }];
        expect(allViolations(journal, stored)).toEqual([]);
        // A release acknowledged but not written: what a plain 404 read as "no slice" did.
        expect(allViolations([...journal, { op: "release", cluster: "a" }], stored).map((v) => v.detector)).toEqual(["lost-acknowledgement"]);
        expect(missedReads([...journal, { op: "read", cluster: "a", expected: true, found: false }])).toHaveLength(1);
        expect(missedReads([{ op: "read", cluster: "a", expected: false, found: false }])).toEqual([]);
        expect(giveUps([{ op: "allocate", cluster: "a", error: "LedgerConflictError", message: "gave up" }])).toHaveLength(1);
    });
});
