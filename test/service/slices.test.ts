import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sliceSpecSchema, SliceSpecInput } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { IpamError } from "../../provider/service/errors";
import { registerSlice, unregisterSlice, updateSliceSettings } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { makeTempDir } from "../support/temp-dir";

const spec = (input: Partial<SliceSpecInput> = {}) => sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", ...input });

describe("slices in a store", () => {
    let temp: ReturnType<typeof makeTempDir>;
    let store: FileLedgerStore;
    beforeEach(() => {
        temp = makeTempDir();
        store = new FileLedgerStore(temp.dir);
    });
    afterEach(() => temp.remove());

    it("registers once; the same registration again is idempotent and adopts new settings", async () => {
        const first = await registerSlice(store, spec());
        const again = await registerSlice(store, spec({ gracePeriodSeconds: 60 }));
        expect(first.created).toBe(true);
        expect(again.created).toBe(false);
        expect(again.ledger.registeredAt).toBe(first.ledger.registeredAt);
        expect(again.ledger.spec.gracePeriodSeconds).toBe(60);
    });

    it("refuses another pool under the same name", async () => {
        await registerSlice(store, spec());
        await expect(registerSlice(store, spec({ subnetSize: 26 }))).rejects.toThrow(
            /slice "blue" is already registered in file store .* with sliceSubnet 10.2.0.0\/16 and subnetSize 24.*new slice name/,
        );
    });

    it("refuses a slice overlapping another slice anywhere in the store, naming it", async () => {
        await registerSlice(store, spec());
        const overlap = registerSlice(store, spec({ sliceName: "red", sliceSubnet: "10.2.128.0/17" }));
        await expect(overlap).rejects.toThrow(IpamError);
        await expect(overlap).rejects.toThrow(/overlaps sliceSubnet 10.2.0.0\/16 of slice "blue"/);
        expect((await store.list()).map((entry) => entry.ledger.spec.sliceName)).toEqual(["blue"]);
        await expect(registerSlice(store, spec({ sliceName: "red", sliceSubnet: "10.3.0.0/16" }))).resolves.toBeDefined();
    });

    it("never leaves two overlapping slices when registrations race from separate clients", async () => {
        for (let round = 0; round < 20; round++) {
            const a = `a-${round}`;
            const b = `b-${round}`;
            const block = `10.${100 + round}.0.0`;
            const results = await Promise.allSettled([
                registerSlice(new FileLedgerStore(temp.dir), spec({ sliceName: a, sliceSubnet: `${block}/16` })),
                registerSlice(new FileLedgerStore(temp.dir), spec({ sliceName: b, sliceSubnet: `${block}/17` })),
            ]);
            const survivors = (await store.list()).map((entry) => entry.ledger.spec.sliceName).filter((n) => n === a || n === b);
            expect(survivors.length).toBeLessThanOrEqual(1);
            expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(survivors.length);
            for (const failed of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
                expect(String(failed.reason)).toMatch(/overlaps sliceSubnet/);
            }
            // A retry after the race registers one of them.
            if (survivors.length === 0) {
                await registerSlice(store, spec({ sliceName: a, sliceSubnet: `${block}/16` }));
            }
        }
    });

    it("never leaves two slices with overlapping IPv6 pools when additions of them race from separate clients", async () => {
        for (let round = 0; round < 20; round++) {
            const a = `a-${round}`;
            const b = `b-${round}`;
            const v4 = (n: number) => `10.${100 + round}.${n * 128}.0/17`;
            const pool = `fd00:${(round + 1).toString(16)}::/48`;
            await registerSlice(store, spec({ sliceName: a, sliceSubnet: v4(0) }));
            await registerSlice(store, spec({ sliceName: b, sliceSubnet: v4(1) }));
            await allocateSubnet(store, a, "worker-1");
            const results = await Promise.allSettled([
                updateSliceSettings(
                    new FileLedgerStore(temp.dir),
                    spec({ sliceName: a, sliceSubnet: v4(0), sliceSubnetIpv6: pool, subnetSizeIpv6: 64 }),
                ),
                updateSliceSettings(
                    new FileLedgerStore(temp.dir),
                    spec({ sliceName: b, sliceSubnet: v4(1), sliceSubnetIpv6: `fd00:${(round + 1).toString(16)}::/56`, subnetSizeIpv6: 64 }),
                ),
            ]);
            const withPool = (await store.list()).filter(
                (entry) => [a, b].includes(entry.ledger.spec.sliceName) && entry.ledger.spec.sliceSubnetIpv6 !== undefined,
            );
            expect(withPool.length).toBeLessThanOrEqual(1);
            expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(withPool.length);
            for (const failed of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
                expect(String(failed.reason)).toMatch(/overlaps sliceSubnet/);
            }
            // A withdrawn pool leaves the slice as it was: its cluster keeps its IPv4 subnet and has no IPv6 one.
            const slice = (await store.load(a))!.ledger;
            expect(slice.allocations.map((entry) => [entry.clusterName, entry.subnet, entry.subnetIpv6])).toEqual([
                [
                    "worker-1",
                    `10.${100 + round}.0.0/24`,
                    slice.spec.sliceSubnetIpv6 === undefined ? undefined : `fd00:${(round + 1).toString(16)}::/64`,
                ],
            ]);
        }
    });

    it("updates settings in place and refuses an unregistered slice", async () => {
        await registerSlice(store, spec());
        expect((await updateSliceSettings(store, spec({ maxClusters: 10 }))).spec.maxClusters).toBe(10);
        await expect(updateSliceSettings(store, spec({ sliceName: "gone" }))).rejects.toThrow(/slice "gone" is not registered .*pulumi refresh/);
    });

    it("refuses to delete a slice while clusters hold subnets, naming them; allows it once released", async () => {
        await registerSlice(store, spec());
        await allocateSubnet(store, "blue", "worker-1");
        await allocateSubnet(store, "blue", "worker-2");
        await expect(unregisterSlice(store, "blue")).rejects.toThrow(
            /slice "blue" still has 2 active allocation\(s\): worker-1 \(10.2.0.0\/24\), worker-2 \(10.2.1.0\/24\)/,
        );
        await releaseSubnet(store, "blue", "worker-1");
        await releaseSubnet(store, "blue", "worker-2");
        await unregisterSlice(store, "blue");
        expect(await store.load("blue")).toBeUndefined();
        await unregisterSlice(store, "blue"); // already gone
    });

    it("tells the user to declare the slice first when allocating in an unknown slice", async () => {
        await expect(allocateSubnet(store, "nope", "worker-1")).rejects.toThrow(
            /slice "nope" is not registered in file store .*declare its SliceIpam first.*cluster "worker-1"/,
        );
        await expect(releaseSubnet(store, "nope", "worker-1")).resolves.toEqual({ changed: false });
    });

    it("adopts an allocation another client made", async () => {
        await registerSlice(store, spec());
        const theirs = await allocateSubnet(new FileLedgerStore(temp.dir), "blue", "worker-9");
        const ours = await allocateSubnet(store, "blue", "worker-9");
        expect(ours.outcome).toBe("existing");
        expect(ours.allocation).toEqual(theirs.allocation);
    });
});
