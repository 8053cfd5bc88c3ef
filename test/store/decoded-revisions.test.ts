import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { FileLedgerStore } from "../../provider/store/file-store";
import { allocate, SliceLedger } from "../../provider/core/ledger";
import { decodeRevisionOnce } from "../../provider/store/decoded-revisions";
import { digestOf, ledgerDocumentText } from "../../provider/store/file-document";
import { CorruptLedgerError } from "../../provider/store/ledger-document";
import { at, ledgerFor } from "../core/ledger-fixtures";

const bytes = (text: string) => Buffer.from(text, "utf8");
const file = (revision: number) => `/store/blue/${String(revision).padStart(12, "0")}.json`;

function withCluster(ledger: SliceLedger, cluster: string): SliceLedger {
    const allocated = allocate(ledger, cluster, at(1));
    if (!allocated.ok) throw new Error(allocated.issue.message);
    return allocated.ledger;
}

describe("decodeRevisionOnce", () => {
    it("decodes the same file and bytes once, and a new revision again", () => {
        const ledger = withCluster(ledgerFor(), "worker-1");
        const text = ledgerDocumentText(7, ledger);
        const first = decodeRevisionOnce(file(7), bytes(text), "blue", 7);
        expect(decodeRevisionOnce(file(7), bytes(text), "blue", 7)).toBe(first);
        const next = decodeRevisionOnce(file(8), bytes(ledgerDocumentText(8, withCluster(ledger, "worker-2"))), "blue", 8);
        expect(next).not.toBe(first);
        expect(!next.deleted && next.ledger.allocations.map((a) => a.clusterName)).toEqual(["worker-1", "worker-2"]);
    });

    it("checks bytes edited in place, keeping the revision, again", () => {
        const text = ledgerDocumentText(3, withCluster(ledgerFor(), "worker-1"));
        decodeRevisionOnce(file(3), bytes(text), "blue", 3);
        const edited = text.replace('"worker-1"', '"worker-1", "note": "by hand"');
        expect(() => decodeRevisionOnce(file(3), bytes(edited), "blue", 3)).toThrow(CorruptLedgerError);
    });

    it("hands out a frozen ledger, since every caller in the process shares it", () => {
        const stored = decodeRevisionOnce(file(5), bytes(ledgerDocumentText(5, withCluster(ledgerFor(), "worker-1"))), "blue", 5);
        expect(stored.deleted).toBe(false);
        const allocations = (stored as { ledger: SliceLedger }).ledger.allocations as unknown as object[];
        expect(() => allocations.push({})).toThrow(TypeError);
        expect(Object.isFrozen(allocations[0])).toBe(true);
    });

    it("after a write, the store's next loads give the written ledger and version, one shared frozen object", async () => {
        const directory = await fs.mkdtemp(path.join(os.tmpdir(), "kubeslice-ipam-decoded-"));
        try {
            const store = new FileLedgerStore(directory);
            const written = withCluster(ledgerFor(), "worker-1");
            const swapped = await store.compareAndSwap("blue", undefined, written);
            expect(swapped.ok).toBe(true);
            const first = await store.load("blue");
            expect(first?.ledger).toEqual(written);
            expect(Object.isFrozen(first?.ledger)).toBe(true);
            expect((await store.load("blue"))?.ledger).toBe(first?.ledger);
            // The version of the bytes on disk: revision 1, their digest.
            const onDisk = await fs.readFile(path.join(directory, "blue", "000000000001.json"), "utf8");
            expect(first?.version).toBe(`1:${digestOf(onDisk)}`);
        } finally {
            await fs.rm(directory, { recursive: true, force: true });
        }
    });

    it("a hand edit of the same length, right after the store read the file, is read and refused", async () => {
        const directory = await fs.mkdtemp(path.join(os.tmpdir(), "kubeslice-ipam-decoded-"));
        try {
            const store = new FileLedgerStore(directory);
            await store.compareAndSwap("blue", undefined, withCluster(ledgerFor(), "worker-1"));
            await store.load("blue");
            const revision = path.join(directory, "blue", "000000000001.json");
            const text = await fs.readFile(revision, "utf8");
            const edited = text.replace('"index": 0', '"index": 9');
            expect(edited).not.toBe(text);
            expect(edited.length).toBe(text.length);
            await fs.writeFile(revision, edited); // in place: same inode, same size, likely the same timestamp tick
            await expect(store.load("blue")).rejects.toThrow(CorruptLedgerError);
        } finally {
            await fs.rm(directory, { recursive: true, force: true });
        }
    });
});
