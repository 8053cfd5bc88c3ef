import { execFileSync, spawn as spawnProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileLedgerStore } from "../../provider/store/file-store";
import { CorruptLedgerError, encodeLedger } from "../../provider/store/ledger-document";
import { StoreNotFoundError } from "../../provider/store/ledger-store";
import { registerSlice } from "../../provider/service/slices";
import { allocateSubnet, findSubnet } from "../../provider/service/allocations";
import { sliceSpecSchema } from "../../provider/core/validation";
import { makeTempDir } from "../support/temp-dir";
import { describeHistoryContract } from "./history-contract";
import { describeLedgerStoreContract, IPV6_POOLS, sampleLedger } from "./ledger-store-contract";

const fileFixture = async () => {
    const temp = makeTempDir();
    return {
        store: new FileLedgerStore(temp.dir),
        otherClient: () => new FileLedgerStore(temp.dir),
        dispose: async () => temp.remove(),
    };
};

describeHistoryContract("file store", fileFixture);

describeLedgerStoreContract("file store", async () => ({ ...(await fileFixture()), mayReportLandedWriteAsConflict: true }));

describeLedgerStoreContract("file store", async () => ({ ...(await fileFixture()), mayReportLandedWriteAsConflict: true }), IPV6_POOLS);

describe("file store", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    beforeEach(async () => {
        temp = makeTempDir();
        store = new FileLedgerStore(path.join(temp.dir, "ledgers"));
        await store.initialize();
    });
    afterEach(() => temp.remove());

    const current = async (slice = "blue") => (await store.currentFile(slice))!;

    it("reads without starving the event loop: a caller polling for a slice lets a timer (or another writer) run", async () => {
        // The reads are synchronous system calls; each load still gives the loop its turn.
        await store.compareAndSwap("blue", undefined, sampleLedger());
        let fired = false;
        setTimeout(() => (fired = true), 1);
        let polls = 0;
        while (!fired && polls < 50_000) {
            await store.load("blue");
            await store.load("absent");
            polls++;
        }
        expect(fired).toBe(true);
    });

    it("keeps each revision as a readable JSON document in the slice's directory, and no temp files", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        expect(readdirSync(store.directory)).toEqual(["blue"]);
        expect(readdirSync(store.sliceDirectory("blue"))).toEqual(["000000000001.json"]);
        const document = JSON.parse(readFileSync(await current(), "utf8"));
        expect(document).toMatchObject({ apiVersion: "kubeslice-ipam.io/v1alpha1", kind: "SliceLedger", revision: 1 });
        expect(document.spec.sliceSubnet).toBe("10.2.0.0/16");
    });

    it("keeps the current and the previous revision only", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        for (let i = 1; i <= 4; i++) {
            const read = (await store.load("blue"))!;
            expect(
                (await store.compareAndSwap("blue", read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: i } })).ok,
            ).toBe(true);
        }
        expect(readdirSync(store.sliceDirectory("blue"))).toEqual(["000000000004.json", "000000000005.json"]);
    });

    it.each(["../x", "a/b", "..", "Blue", ""])("never turns slice name %j into a path", async (name) => {
        await expect(store.compareAndSwap(name, undefined, sampleLedger())).rejects.toThrow(/not a DNS-1123 label/);
        await expect(store.load(name)).rejects.toThrow(/not a DNS-1123 label/);
        expect(existsSync(path.join(temp.dir, "x"))).toBe(false);
        expect(existsSync(path.join(temp.dir, "x.json"))).toBe(false);
    });

    it("refuses a corrupt document, naming the file, and never overwrites it", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        const read = (await store.load("blue"))!;
        const file = await current();
        writeFileSync(file, '{"apiVersion": "kubeslice-ipam.io/v1alpha1", "truncated');
        await expect(store.load("blue")).rejects.toThrow(CorruptLedgerError);
        await expect(store.load("blue")).rejects.toThrow(file);
        await expect(store.compareAndSwap("blue", read.version, sampleLedger())).rejects.toThrow(/left untouched/);
        await expect(store.list()).rejects.toThrow(file);
        expect(readFileSync(file, "utf8")).toBe('{"apiVersion": "kubeslice-ipam.io/v1alpha1", "truncated');
        expect(readdirSync(store.sliceDirectory("blue"))).toEqual(["000000000001.json"]);
    });

    it("refuses a document edited into duplicate subnets", async () => {
        const ledger = sampleLedger();
        const allocatedAt = "2026-01-01T00:00:00.000Z";
        await store.compareAndSwap("blue", undefined, {
            ...ledger,
            allocations: [{ clusterName: "a", subnet: "10.2.0.0/24", index: 0, status: "Allocated", allocatedAt }],
        });
        const file = await current();
        const document = JSON.parse(readFileSync(file, "utf8"));
        document.allocations.push({ clusterName: "b", subnet: "10.2.0.0/24", index: 0, status: "Allocated", allocatedAt });
        writeFileSync(file, JSON.stringify(document));
        await expect(store.load("blue")).rejects.toThrow(/strictly increasing index order/);
    });

    it("refuses a document whose slice is not its directory's name", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        mkdirSync(store.sliceDirectory("red"));
        writeFileSync(path.join(store.sliceDirectory("red"), "000000000001.json"), readFileSync(await current(), "utf8"));
        await expect(store.load("red")).rejects.toThrow(/holds slice "blue", not "red"/);
    });

    it("refuses a document whose revision is not its file name's", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        writeFileSync(path.join(store.sliceDirectory("blue"), "000000000002.json"), readFileSync(await current(), "utf8"));
        await expect(store.load("blue")).rejects.toThrow(/revision must be 2, the number in its file name; got 1/);
    });

    it("refuses unknown fields instead of dropping them on the next write", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        const file = await current();
        const document = JSON.parse(readFileSync(file, "utf8"));
        document.note = "owned by team blue";
        document.spec.owner = "blue";
        writeFileSync(file, JSON.stringify(document));
        const error = await store.load("blue").catch((e: Error) => e);
        expect(String(error)).toContain("note: unknown field");
        expect(String(error)).toContain("spec.owner: unknown field");
    });

    it("refuses to write an invalid ledger, and writes nothing", async () => {
        const ledger = sampleLedger();
        const invalid = { ...ledger, spec: { ...ledger.spec, subnetSize: 24.5 } };
        await expect(store.compareAndSwap("blue", undefined, invalid)).rejects.toThrow(/refusing to write an invalid ledger.*nothing was written/s);
        const badName = {
            ...ledger,
            allocations: [
                { clusterName: "Bad_Name", subnet: "10.2.0.0/24", index: 0, status: "Allocated" as const, allocatedAt: ledger.registeredAt },
            ],
        };
        await expect(store.compareAndSwap("blue", undefined, badName)).rejects.toThrow(/clusterName "Bad_Name" is not a valid DNS-1123 label/);
        expect(readdirSync(store.directory)).toEqual([]);
    });

    it("never writes over an in-place edit that kept the revision (a hand edit, a git checkout)", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        const read = (await store.load("blue"))!;
        const file = await current();
        const edited = JSON.parse(readFileSync(file, "utf8"));
        edited.spec.gracePeriodSeconds = 60;
        writeFileSync(file, `${JSON.stringify(edited, null, 2)}\n`);
        const mine = { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 1 } };
        expect(await store.compareAndSwap("blue", read.version, mine)).toEqual({ ok: false, conflict: true });
        expect((await store.load("blue"))!.ledger.spec.gracePeriodSeconds).toBe(60);
    });

    it("a write paused after its version check cannot publish over newer revisions (name taken, or name freed by pruning)", async () => {
        for (const laterWrites of [1, 3]) {
            const slice = `paused-${laterWrites}`;
            await store.compareAndSwap(slice, undefined, sampleLedger(slice));
            let resume!: () => void;
            let paused!: () => void;
            const pausedAt = new Promise<void>((resolve) => (paused = resolve));
            const frozen = new FileLedgerStore(store.directory, {
                hooks: {
                    beforePublish: () => {
                        paused();
                        return new Promise<void>((resolve) => (resume = resolve));
                    },
                },
            });
            const read = (await frozen.load(slice))!;
            const stale = frozen.compareAndSwap(slice, read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 99 } });
            await pausedAt;
            for (let i = 1; i <= laterWrites; i++) {
                const now = (await store.load(slice))!;
                expect(
                    (await store.compareAndSwap(slice, now.version, { ...now.ledger, counters: { ...now.ledger.counters, releases: i } })).ok,
                ).toBe(true);
            }
            resume();
            expect(await stale).toEqual({ ok: false, conflict: true });
            const after = (await store.load(slice))!.ledger.counters;
            expect(after.conflicts).toBe(0);
            expect(after.releases).toBe(laterWrites);
        }
    });

    it("a missing store is an error naming the path, not an empty store; registering a slice creates it", async () => {
        const missing = new FileLedgerStore(path.join(temp.dir, "not-mounted"));
        await expect(missing.load("blue")).rejects.toThrow(StoreNotFoundError);
        await expect(missing.list()).rejects.toThrow(`${path.join(temp.dir, "not-mounted")} does not exist`);
        await expect(findSubnet(missing, "blue", "c1")).rejects.toThrow(/never read as an empty one/);
        await expect(allocateSubnet(missing, "blue", "c1")).rejects.toThrow(StoreNotFoundError);
        expect(existsSync(missing.directory)).toBe(false);
        await registerSlice(missing, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }));
        expect((await missing.load("blue"))?.ledger.spec.sliceName).toBe("blue");
    });

    it("refuses symbolic links: a slice directory, a revision file, a ledger of the earlier single-file form", async () => {
        const outside = path.join(temp.dir, "outside");
        mkdirSync(outside);
        await store.compareAndSwap("blue", undefined, sampleLedger());
        writeFileSync(path.join(outside, "000000000001.json"), readFileSync(await current(), "utf8"));
        symlinkSync(outside, store.sliceDirectory("red"));
        await expect(store.load("red")).rejects.toThrow(/is a symbolic link; the file store refuses links/);
        await expect(store.compareAndSwap("red", undefined, sampleLedger("red", "10.3.0.0/16"))).rejects.toThrow(/symbolic link/);
        const linkedRevision = path.join(store.sliceDirectory("blue"), "000000000002.json");
        symlinkSync(path.join(outside, "000000000001.json"), linkedRevision);
        await expect(store.load("blue")).rejects.toThrow(`${linkedRevision} is a symbolic link`);
        symlinkSync(path.join(outside, "000000000001.json"), path.join(store.directory, "green.json"));
        await expect(store.load("green")).rejects.toThrow(/green.json is a symbolic link/);
    });

    it("removes temporary files left by killed writers", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        const orphan = path.join(store.sliceDirectory("blue"), ".tmp-424242-deadbeef");
        const fresh = path.join(store.sliceDirectory("blue"), ".tmp-424243-cafe");
        writeFileSync(orphan, "half a document");
        writeFileSync(fresh, "a writer at work");
        const old = new Date(Date.now() - 5 * 60_000);
        utimesSync(orphan, old, old);
        const read = (await store.load("blue"))!;
        await store.compareAndSwap("blue", read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 1 } });
        expect(existsSync(orphan)).toBe(false);
        expect(existsSync(fresh)).toBe(true);
    });

    it("reads a single-document ledger of earlier versions and moves it to revision files on the first write", async () => {
        const ledger = sampleLedger();
        const legacy = path.join(store.directory, "blue.json");
        writeFileSync(
            legacy,
            JSON.stringify({ apiVersion: "kubeslice-ipam.io/v1alpha1", kind: "SliceLedger", revision: 7, ...encodeLedger(ledger) }, null, 2),
        );
        const read = (await store.load("blue"))!;
        expect(read.ledger).toEqual(ledger);
        expect((await store.list()).map((entry) => entry.ledger.spec.sliceName)).toEqual(["blue"]);
        const changed = { ...read.ledger, counters: { ...read.ledger.counters, releases: 2 } };
        expect((await store.compareAndSwap("blue", read.version, changed)).ok).toBe(true);
        expect(readdirSync(store.sliceDirectory("blue"))).toEqual(["000000000008.json"]);
        // The old document becomes a marker that earlier versions refuse to write over (its revision is not a number).
        expect(JSON.parse(readFileSync(legacy, "utf8"))).toMatchObject({ kind: "SliceLedgerMoved", revision: "moved", movedTo: "blue/" });
        expect((await store.load("blue"))!.ledger.counters.releases).toBe(2);
        expect((await store.list()).map((entry) => entry.ledger.spec.sliceName)).toEqual(["blue"]);
        expect(await store.compareAndSwap("blue", read.version, changed)).toEqual({ ok: false, conflict: true });
    });

    it("goes ahead without the advisory lock when its holder is alive but frozen, or its mtime is in the future", async () => {
        const patient = new FileLedgerStore(store.directory, { lockWaitMs: 300 });
        await patient.compareAndSwap("blue", undefined, sampleLedger());
        const holder = spawnProcess(
            process.execPath,
            [
                "-e",
                `require(${JSON.stringify(require.resolve("proper-lockfile"))})
                    .lock(process.argv[1], { realpath: false, stale: 5000, update: 1000 })
                    .then(() => { console.log("locked"); setInterval(() => {}, 1000); });`,
                store.sliceDirectory("blue"),
            ],
            { stdio: ["ignore", "pipe", "inherit"] },
        );
        try {
            await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
            holder.kill("SIGSTOP");
            const done = await patient.exclusively("blue", async () => {
                const read = (await patient.load("blue"))!;
                return patient.compareAndSwap("blue", read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 5 } });
            });
            expect(done.ok).toBe(true);
        } finally {
            holder.kill("SIGKILL");
        }
        const future = new Date(Date.now() + 3_600_000);
        mkdirSync(`${store.sliceDirectory("red")}.lock`);
        utimesSync(`${store.sliceDirectory("red")}.lock`, future, future);
        await patient.exclusively("red", () => patient.compareAndSwap("red", undefined, sampleLedger("red", "10.3.0.0/16")));
        expect((await patient.load("red"))?.ledger.spec.sliceName).toBe("red");
    });

    it("recovers a lock left by a killed process", async () => {
        const staleLockMs = 2_000;
        const recovering = new FileLedgerStore(store.directory, { staleLockMs, lockWaitMs: 30_000 });
        await recovering.compareAndSwap("blue", undefined, sampleLedger());
        const holder = spawnProcess(
            process.execPath,
            [
                "-e",
                `require(${JSON.stringify(require.resolve("proper-lockfile"))})
                    .lock(process.argv[1], { realpath: false, stale: ${staleLockMs}, update: 1000 })
                    .then(() => { console.log("locked"); setInterval(() => {}, 1000); });`,
                store.sliceDirectory("blue"),
            ],
            { stdio: ["ignore", "pipe", "inherit"] },
        );
        await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
        expect(existsSync(`${store.sliceDirectory("blue")}.lock`)).toBe(true);
        holder.kill("SIGKILL");
        await new Promise((resolve) => holder.once("exit", resolve));

        const swapped = await recovering.exclusively("blue", async () => {
            const read = (await recovering.load("blue"))!;
            return recovering.compareAndSwap("blue", read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 7 } });
        });
        expect(swapped.ok).toBe(true);
        expect((await recovering.load("blue"))!.ledger.counters.conflicts).toBe(7);
        expect(existsSync(`${store.sliceDirectory("blue")}.lock`)).toBe(false);
    });
});

/** A tmpfs of a few kilobytes: a real full or read-only file system (the tests run as root, as CI does). */
describe("file store on a full or read-only file system", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let mountPoint: string;
    beforeEach(() => {
        temp = makeTempDir();
        mountPoint = path.join(temp.dir, "mnt");
        mkdirSync(mountPoint);
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", mountPoint]);
    });
    afterEach(() => {
        execFileSync("umount", [mountPoint]);
        temp.remove();
    });

    it("a full disk fails at once naming the file and saying nothing was written", async () => {
        const store = new FileLedgerStore(mountPoint);
        const ledger = sampleLedger();
        const big = {
            ...ledger,
            allocations: Array.from({ length: 200 }, (_, i) => ({
                clusterName: `cluster-with-a-long-name-${i}`,
                subnet: `10.2.${i}.0/24`,
                index: i,
                status: "Allocated" as const,
                allocatedAt: ledger.registeredAt,
            })),
        };
        const error = await store.compareAndSwap("blue", undefined, big).catch((e: Error) => e);
        expect(String(error)).toMatch(
            new RegExp(`cannot write its ledger in file store ${mountPoint} \\(${mountPoint}/blue/000000000001.json\\): ENOSPC`),
        );
        expect(String(error)).toContain("Nothing was written; the disk is full");
        expect(readdirSync(path.join(mountPoint, "blue"))).toEqual([]);
    });

    it("a read-only store fails at once with what to do; reads still work", async () => {
        // No waiting for a lock it can never take: with a lock wait far beyond the test's timeout, only failing at once passes.
        const store = new FileLedgerStore(mountPoint, { lockWaitMs: 3_600_000 });
        await store.compareAndSwap("blue", undefined, sampleLedger());
        execFileSync("mount", ["-o", "remount,ro", mountPoint]);
        const read = (await store.load("blue"))!;
        const error = await store.exclusively("blue", () => store.compareAndSwap("blue", read.version, undefined)).catch((e: Error) => e);
        expect(String(error)).toContain("EROFS");
        expect(String(error)).toContain("mounted read-only; mount it read-write or point store.directory at a writable directory");
        expect((await store.load("blue"))?.ledger.spec.sliceName).toBe("blue");
    });
});
