/**
 * The advisory lock never fails an operation (issue 27, item 11b): every
 * error of the lock library falls back to the compare-and-swap path, as a
 * lock timeout does.
 */
import { rmdirSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileLedgerStore } from "../../provider/store/file-store";
import { makeTempDir } from "../support/temp-dir";
import { sampleLedger } from "./ledger-store-contract";

/** The `fs` proper-lockfile uses: its calls can be interleaved with another writer's here. */
const lockFs = createRequire(require.resolve("proper-lockfile"))("graceful-fs") as { stat: (...args: unknown[]) => void };

describe("file store advisory lock", () => {
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
});
