/**
 * Providers called without `check` (programs, tools, older states): every
 * write validates its inputs, refuses with the same reasons, and writes nothing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { sliceSpecSchema } from "../../provider/core/validation";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { makeTempDir } from "../support/temp-dir";

let temp: ReturnType<typeof makeTempDir>;
let store: { kind: "file"; directory: string };
beforeEach(() => {
    temp = makeTempDir();
    store = { kind: "file", directory: path.join(temp.dir, "store") };
});
afterEach(() => temp.remove());

const slice = { sliceName: "s1", sliceSubnet: "10.6.0.0/16", subnetSize: 24, gracePeriodSeconds: 60, maxClusters: 10 };

describe("SliceIpam create without check", () => {
    it.each([
        ["subnetSize", 24.5, "subnetSize must be a whole number between 16 and 30 (IPv4) or 48 and 120 (IPv6); got 24.5"],
        ["subnetSize", 31, 'subnetSize must be a whole number between 16 and 30 for an IPv4 sliceSubnet such as "10.6.0.0/16"; got 31 (e.g. 24)'],
        ["maxClusters", 0, "maxClusters must be a whole number between 1 and 4096; got 0"],
        ["gracePeriodSeconds", -1, "gracePeriodSeconds must be a whole number of seconds between 0 and 31536000; got -1"],
        ["gracePeriodSeconds", 1e21, "gracePeriodSeconds must be a whole number of seconds between 0 and 31536000; got 1e+21"],
        [
            "sliceSubnet",
            "8.8.0.0/16",
            'sliceSubnet "8.8.0.0/16" is not a private IP range; use a block inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (e.g. "10.1.0.0/16")',
        ],
    ])("refuses %s %j, says nothing was written, and writes nothing", async (property, value, reason) => {
        const error = await handlers.sliceIpam.create({ ...slice, [property]: value, store }).catch((e: Error) => e);
        expect((error as Error).name).toBe("InvalidInputsError");
        expect((error as Error).message).toBe(
            `slice "s1": invalid inputs; nothing was written:\n  - ${property}: ${reason}\nCorrect the inputs and run again.`,
        );
        expect(existsSync(store.directory)).toBe(false);
        // The same reason check gives.
        expect((await handlers.sliceIpam.check({}, { ...slice, [property]: value, store })).failures).toEqual([{ property, reason }]);
    });

    it("a refused slice leaves other slices of the store registrable", async () => {
        await handlers.sliceIpam.create({ ...slice, subnetSize: 24.5, store }).catch(() => undefined);
        await handlers.sliceIpam.create({ ...slice, sliceName: "s2", sliceSubnet: "10.7.0.0/16", store });
        expect(readdirSync(store.directory)).toEqual(["s2"]);
    });
});

describe("SubnetAllocation create without check", () => {
    beforeEach(async () => {
        await registerSlice(new FileLedgerStore(store.directory), sliceSpecSchema.parse(slice));
    });

    const ledgerText = async () => readdirSync(path.join(store.directory, "s1")).join(",");

    it.each([
        [{ clusterName: "Bad_Name" }, "clusterName"],
        [{ requestedSubnetIsPlan: "yes" }, "requestedSubnetIsPlan"],
        [{ requestedSubnetIsPlan: 1 }, "requestedSubnetIsPlan"],
        [{ requestedSubnetIsPlan: 0 }, "requestedSubnetIsPlan"],
        [{ requestedSubnet: "10.6.3.0/25x" }, "requestedSubnet"],
        [{ store: { kind: "s3" } }, "store"],
        [{ store: { directory: "/tmp/x" } }, "store"],
        [{ store: "file" }, "store"],
        [{ store: { kind: "file", directory: "/tmp/a\u0000b" } }, "store"],
    ])("refuses %j in check and in create, writing nothing", async (change, property) => {
        const inputs = { sliceName: "s1", clusterName: "c-1", store, ...change };
        const checked = await handlers.subnetAllocation.check({}, inputs);
        expect(checked.failures?.map((failure) => failure.property)).toEqual([property]);
        const before = await ledgerText();
        const error = await handlers.subnetAllocation.create(inputs).catch((e: Error) => e);
        expect((error as Error).name).toBe("InvalidInputsError");
        expect((error as Error).message).toContain("invalid inputs; nothing was written");
        expect((error as Error).message).toContain(`${property}: `);
        expect(await ledgerText()).toBe(before);
        expect((await new FileLedgerStore(store.directory).load("s1"))!.ledger.allocations).toEqual([]);
    });

    it("delete without check refuses bad inputs too", async () => {
        await expect(handlers.subnetAllocation.remove("s1/Bad", { sliceName: "s1", clusterName: "Bad", store })).rejects.toThrow(
            /invalid inputs; nothing was written/,
        );
    });

    it("a store move that finds no copy of the allocation is allocation-not-in-store, not unknown-cluster", async () => {
        const created = await handlers.subnetAllocation.create({ sliceName: "s1", clusterName: "c-1", store });
        const moved = { kind: "file", directory: path.join(temp.dir, "moved") };
        await registerSlice(new FileLedgerStore(moved.directory), sliceSpecSchema.parse(slice));
        const error = await handlers.subnetAllocation
            .update(created.id, created.outs, { sliceName: "s1", clusterName: "c-1", store: moved })
            .catch((e: Error) => e);
        expect(error).toMatchObject({ code: "allocation-not-in-store" });
        expect((error as Error).message).toContain(`cluster "c-1" holds ${created.outs.subnet} in slice "s1", but the new store`);
    });
});

describe("ManifestFile without check", () => {
    const manifest = () => path.join(temp.dir, "manifests", "s1-worker-1.yaml");

    it.each([
        [{ content: "kind: WorkerSliceConfig\n" }, "a manifest file without a path", "path: path must be a file path string"],
        [{ path: "" as string, content: "x" }, 'manifest file ""', "path: path must not be empty"],
        [{ content: 42 }, "a manifest file without a path", "path: path must be a file path string\n  - content: content must be a string"],
    ])("create refuses %j and writes nothing", async (props, subject, reasons) => {
        const error = await handlers.manifestFile.create(props).catch((e: Error) => e);
        expect((error as Error).name).toBe("InvalidInputsError");
        expect((error as Error).message).toBe(`${subject}: invalid inputs; nothing was written:\n  - ${reasons}\nCorrect the inputs and run again.`);
        expect(readdirSync(temp.dir)).toEqual([]);
    });

    // The temp directory is outside the project (the working directory): these files need the opt-in.
    it("update refuses content that is not a string, and leaves the file as it was", async () => {
        await handlers.manifestFile.create({ path: manifest(), content: "v1\n", allowOutsideProject: true });
        const error = await handlers.manifestFile
            .update(manifest(), {}, { path: manifest(), content: undefined, allowOutsideProject: true })
            .catch((e: Error) => e);
        expect((error as Error).message).toContain(`manifest file ${JSON.stringify(manifest())}: invalid inputs; nothing was written`);
        expect(readFileSync(manifest(), "utf8")).toBe("v1\n");
    });

    it("delete and refresh of a state without a path refuse instead of touching a file named undefined", async () => {
        await expect(handlers.manifestFile.remove("x", {})).rejects.toThrow("a manifest file without a path: invalid inputs");
        await expect(handlers.manifestFile.read("x", {})).rejects.toThrow("a manifest file without a path: invalid inputs");
    });

    it("delete removes the file while it holds the content in state (ownership: test/handlers/manifest-file.test.ts)", async () => {
        await handlers.manifestFile.create({ path: manifest(), content: "v1\n", allowOutsideProject: true });
        await handlers.manifestFile.remove(manifest(), { path: manifest(), content: "v1\n", allowOutsideProject: true });
        expect(existsSync(manifest())).toBe(false);
    });
});
