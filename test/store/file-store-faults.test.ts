/**
 * A file store under faults (issue 27, items 5 and 11): hand-made messes are
 * refused with a named error that names the file, nothing written and nothing
 * left behind; every error of the advisory lock falls back to the
 * compare-and-swap path, as a lock timeout does.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allocateSubnet } from "../../provider/service/allocations";
import { FileLedgerStore } from "../../provider/store/file-store";
import { CorruptLedgerError } from "../../provider/store/ledger-document";
import { makeTempDir } from "../support/temp-dir";
import { sampleLedger } from "./ledger-store-contract";

/** The `fs` proper-lockfile uses: its calls can be interleaved with another writer's here. */
const lockFs = createRequire(require.resolve("proper-lockfile"))("graceful-fs") as { stat: (...args: unknown[]) => void };

describe("file store revision names, unreadable revisions and the advisory lock", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    beforeEach(async () => {
        temp = makeTempDir();
        store = new FileLedgerStore(path.join(temp.dir, "ledgers"));
        await store.compareAndSwap("blue", undefined, sampleLedger());
    });
    afterEach(() => temp.remove());

    const bumpConflicts = (writer: FileLedgerStore, by = 1) =>
        writer.exclusively("blue", async () => {
            const read = (await writer.load("blue"))!;
            const counters = { ...read.ledger.counters, conflicts: read.ledger.counters.conflicts + by };
            return writer.compareAndSwap("blue", read.version, { ...read.ledger, counters });
        });

    it("goes ahead when its fresh lock is removed between the library's mkdir and its stat (ENOENT), and writes", async () => {
        // The interleaving: the lock is created, then another writer removes it before the library stats it:
        // a writer that judged the previous (stale) lock old and removes this one, or one that took over the
        // lock of this writer, paused right there, and released it. Today's code failed the write with
        // "cannot write its ledger … ENOENT … stat '<store>/blue.lock'".
        const lock = `${store.sliceDirectory("blue")}.lock`;
        const stat = lockFs.stat;
        let removedByOther = 0;
        lockFs.stat = function (this: unknown, file: unknown, ...rest: unknown[]) {
            if (file === lock && removedByOther === 0) {
                removedByOther++;
                rmdirSync(lock);
            }
            return stat.call(this, file, ...rest);
        };
        try {
            expect(await bumpConflicts(store)).toEqual({ ok: true });
        } finally {
            lockFs.stat = stat;
        }
        expect(removedByOther).toBe(1);
        expect((await store.load("blue"))!.ledger.counters.conflicts).toBe(1);
    });

    /** Renumbers the current revision to `revision` (file name and field), as a hand edit would. */
    async function renumber(revision: number, name = `${String(revision).padStart(12, "0")}.json`): Promise<string> {
        const file = (await store.currentFile("blue"))!;
        const document = JSON.parse(readFileSync(file, "utf8"));
        const renamed = path.join(store.sliceDirectory("blue"), name);
        writeFileSync(file, JSON.stringify({ ...document, revision }, null, 2));
        renameSync(file, renamed);
        return renamed;
    }

    it("a revision 999999999999 is read, and the next write is refused naming it: no 13-digit file, no retries", async () => {
        const file = await renumber(999_999_999_999);
        expect((await store.load("blue"))?.ledger.spec.sliceName).toBe("blue");
        const error = await allocateSubnet(store, "blue", "cluster-1").catch((e: Error) => e);
        expect(error).toBeInstanceOf(CorruptLedgerError);
        expect(String(error)).toContain(file);
        expect(String(error)).toContain("999999999999, the last a 12-digit revision file name holds");
        expect(String(error)).not.toContain("other writers");
        expect(readdirSync(store.sliceDirectory("blue"))).toEqual(["999999999999.json"]);
    });

    it("a revision file name of another width is refused naming it, not ignored", async () => {
        const wide = await renumber(1_000_000_000_000, "1000000000000.json");
        await expect(store.load("blue")).rejects.toThrow(CorruptLedgerError);
        await expect(store.load("blue")).rejects.toThrow(`${wide} is not a valid slice ledger`);
        await expect(store.load("blue")).rejects.toThrow("revision file names have exactly 12 digits");
    });

    it("a revision path that is a directory fails naming the path (not a bare EISDIR), and nothing is written", async () => {
        const directory = path.join(store.sliceDirectory("blue"), "000000000002.json");
        mkdirSync(directory);
        const error = await store.load("blue").catch((e: Error) => e);
        expect(String(error)).toContain(`cannot read slice ledger ${directory}: EISDIR`);
        expect(String(error)).toContain("restore it from a backup, or move away what is there");
        await expect(allocateSubnet(store, "blue", "cluster-1")).rejects.toThrow(`cannot read slice ledger ${directory}`);
        expect(readdirSync(store.sliceDirectory("blue")).sort()).toEqual(["000000000001.json", "000000000002.json"]);
    });
});

describe("file store: a stored ledger missing a setting", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    beforeEach(async () => {
        temp = makeTempDir();
        store = new FileLedgerStore(path.join(temp.dir, "ledgers"));
    });
    afterEach(() => temp.remove());

    it.each(["maxClusters", "gracePeriodSeconds", "subnetSize"])(
        "without %s is refused as corrupt, naming the field, and nothing is written (never a default)",
        async (setting) => {
            const ledger = sampleLedger();
            await store.compareAndSwap("blue", undefined, { ...ledger, spec: { ...ledger.spec, subnetSize: 26, maxClusters: 2 } });
            const file = (await store.currentFile("blue"))!;
            const document = JSON.parse(readFileSync(file, "utf8"));
            delete document.spec[setting];
            writeFileSync(file, JSON.stringify(document, null, 2));
            const error = await allocateSubnet(store, "blue", "cluster-1").catch((e: Error) => e);
            expect(error).toBeInstanceOf(CorruptLedgerError);
            expect(String(error)).toContain(file);
            expect(String(error)).toContain(`spec.${setting}: ${setting} is missing; a stored ledger holds every setting`);
            expect(readdirSync(store.sliceDirectory("blue"))).toEqual([path.basename(file)]);
        },
    );
});
