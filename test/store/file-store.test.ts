import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileLedgerStore } from "../../provider/store/file-store";
import { CorruptLedgerError } from "../../provider/store/ledger-document";
import { makeTempDir } from "../support/temp-dir";
import { describeLedgerStoreContract, sampleLedger } from "./ledger-store-contract";

describeLedgerStoreContract("file store", async () => {
    const temp = makeTempDir();
    return {
        store: new FileLedgerStore(temp.dir),
        otherClient: () => new FileLedgerStore(temp.dir),
        dispose: async () => temp.remove(),
    };
});

describe("file store", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    beforeEach(() => {
        temp = makeTempDir();
        store = new FileLedgerStore(path.join(temp.dir, "ledgers"));
    });
    afterEach(() => temp.remove());

    it("keeps one readable JSON document per slice and no temp files", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        expect(readdirSync(store.directory)).toEqual(["blue.json"]);
        const document = JSON.parse(readFileSync(store.fileFor("blue"), "utf8"));
        expect(document).toMatchObject({ apiVersion: "kubeslice-ipam.io/v1alpha1", kind: "SliceLedger", revision: 1 });
        expect(document.spec.sliceSubnet).toBe("10.2.0.0/16");
    });

    it.each(["../x", "a/b", "..", "Blue", ""])("never turns slice name %j into a path", async (name) => {
        await expect(store.compareAndSwap(name, undefined, sampleLedger())).rejects.toThrow(/not a DNS-1123 label/);
        await expect(store.load(name)).rejects.toThrow(/not a DNS-1123 label/);
        expect(existsSync(path.join(temp.dir, "x"))).toBe(false);
        expect(existsSync(path.join(temp.dir, "x.json"))).toBe(false);
    });

    it("refuses a corrupt document, naming the file, and never overwrites it", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        const file = store.fileFor("blue");
        writeFileSync(file, '{"apiVersion": "kubeslice-ipam.io/v1alpha1", "truncated');
        await expect(store.load("blue")).rejects.toThrow(CorruptLedgerError);
        await expect(store.load("blue")).rejects.toThrow(file);
        await expect(store.compareAndSwap("blue", "1", sampleLedger())).rejects.toThrow(/left untouched/);
        await expect(store.list()).rejects.toThrow(file);
        expect(readFileSync(file, "utf8")).toBe('{"apiVersion": "kubeslice-ipam.io/v1alpha1", "truncated');
    });

    it("refuses a document edited into duplicate subnets", async () => {
        const ledger = sampleLedger();
        const allocatedAt = "2026-01-01T00:00:00.000Z";
        await store.compareAndSwap("blue", undefined, {
            ...ledger,
            allocations: [{ clusterName: "a", subnet: "10.2.0.0/24", index: 0, status: "Allocated", allocatedAt }],
        });
        const file = store.fileFor("blue");
        const document = JSON.parse(readFileSync(file, "utf8"));
        document.allocations.push({ clusterName: "b", subnet: "10.2.0.0/24", index: 0, status: "Allocated", allocatedAt });
        writeFileSync(file, JSON.stringify(document));
        await expect(store.load("blue")).rejects.toThrow(/strictly increasing index order/);
    });

    it("refuses a document whose slice is not its file name", async () => {
        await store.compareAndSwap("blue", undefined, sampleLedger());
        const document = readFileSync(store.fileFor("blue"), "utf8");
        writeFileSync(path.join(store.directory, "red.json"), document);
        await expect(store.load("red")).rejects.toThrow(/holds slice "blue", not "red"/);
    });

    it("recovers a lock left by a killed process", async () => {
        const staleLockMs = 2_000;
        const recovering = new FileLedgerStore(store.directory, { staleLockMs });
        await recovering.compareAndSwap("blue", undefined, sampleLedger());
        const holder = spawn(
            process.execPath,
            [
                "-e",
                `require(${JSON.stringify(require.resolve("proper-lockfile"))})
                    .lock(process.argv[1], { realpath: false, stale: ${staleLockMs}, update: 1000 })
                    .then(() => { console.log("locked"); setInterval(() => {}, 1000); });`,
                store.fileFor("blue"),
            ],
            { stdio: ["ignore", "pipe", "inherit"] },
        );
        await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
        expect(existsSync(`${store.fileFor("blue")}.lock`)).toBe(true);
        holder.kill("SIGKILL");
        await new Promise((resolve) => holder.once("exit", resolve));

        const read = (await recovering.load("blue"))!;
        const swapped = await recovering.compareAndSwap("blue", read.version, { ...read.ledger, counters: { ...read.ledger.counters, conflicts: 7 } });
        expect(swapped.ok).toBe(true);
        expect((await recovering.load("blue"))!.ledger.counters.conflicts).toBe(7);
        expect(existsSync(`${store.fileFor("blue")}.lock`)).toBe(false);
    });
});
