import { expect, it } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice, updateSliceSettings } from "../../provider/service/slices";
import { LedgerStore } from "../../provider/store/ledger-store";

const spec = (input: Record<string, unknown> = {}) => sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", ...input });
const IPV6 = { sliceSubnetIpv6: "fd00:2::/48", subnetSizeIpv6: 64 };

/**
 * What every store must do with a dual-stack slice: keep the IPv6 pool, give
 * entries their paired subnets on reading (written before the pool was added
 * or after), and refuse a changed pool. `location` makes an empty store and
 * returns how to open another client of it, so what is checked is what was stored.
 */
export function itKeepsDualStackSlices(location: () => () => LedgerStore): void {
    it("round-trips a dual-stack slice: the IPv6 pool added to an IPv4 slice in place, both subnets of each index read back", async () => {
        const newClient = location();
        const store = newClient();
        await registerSlice(store, spec({ gracePeriodSeconds: 3_600 }));
        await allocateSubnet(store, "blue", "a");
        await allocateSubnet(store, "blue", "b");
        await releaseSubnet(store, "blue", "b");
        const before = (await newClient().load("blue"))!.ledger;
        expect(before.spec).not.toHaveProperty("sliceSubnetIpv6");
        expect(before.allocations.map((e) => e.subnetIpv6)).toEqual([undefined, undefined]);

        await updateSliceSettings(store, spec({ gracePeriodSeconds: 3_600, ...IPV6 }));
        const after = (await newClient().load("blue"))!.ledger;
        expect(after.spec).toMatchObject(IPV6);
        expect(after.allocations.map((e) => [e.clusterName, e.status, e.index, e.subnet, e.subnetIpv6])).toEqual([
            ["a", "Allocated", 0, "10.2.0.0/24", "fd00:2::/64"],
            ["b", "Released", 1, "10.2.1.0/24", "fd00:2:0:1::/64"],
        ]);
        expect(after.history?.at(-1)).toMatchObject({
            action: "settings-changed",
            detail: "IPv6 pool fd00:2::/48 in /64 subnets added (dual-stack)",
        });

        const c = await allocateSubnet(newClient(), "blue", "c");
        expect([c.allocation.subnet, c.allocation.subnetIpv6]).toEqual(["10.2.2.0/24", "fd00:2:0:2::/64"]);
        const rejoined = await allocateSubnet(newClient(), "blue", "b");
        expect([rejoined.outcome, rejoined.allocation.subnet, rejoined.allocation.subnetIpv6]).toEqual(["reused", "10.2.1.0/24", "fd00:2:0:1::/64"]);

        await expect(
            updateSliceSettings(store, spec({ gracePeriodSeconds: 3_600, sliceSubnetIpv6: "fd00:3::/48", subnetSizeIpv6: 64 })),
        ).rejects.toMatchObject({
            code: "slice-spec-mismatch",
            message: expect.stringContaining("registered in"),
        });
        await expect(updateSliceSettings(store, spec({ gracePeriodSeconds: 3_600 }))).rejects.toMatchObject({ code: "slice-spec-mismatch" });
        expect((await newClient().load("blue"))!.ledger.spec).toMatchObject(IPV6);
    });

    it("refuses an IPv6 pool that overlaps another slice's, and one that cannot pair every held index", async () => {
        const newClient = location();
        const store = newClient();
        await registerSlice(store, spec({ sliceName: "red", sliceSubnet: "10.3.0.0/16", ...IPV6 }));
        await registerSlice(store, spec({ sliceName: "green", sliceSubnet: "10.4.0.0/16" }));
        await expect(updateSliceSettings(store, spec({ sliceName: "green", sliceSubnet: "10.4.0.0/16", ...IPV6 }))).rejects.toMatchObject({
            code: "slice-overlap",
            message: expect.stringContaining("sliceSubnet fd00:2::/48 overlaps sliceSubnet fd00:2::/48"),
        });
        for (const cluster of ["a", "b", "c", "d", "e"]) {
            await allocateSubnet(store, "green", cluster);
        }
        await expect(
            updateSliceSettings(store, spec({ sliceName: "green", sliceSubnet: "10.4.0.0/16", sliceSubnetIpv6: "fd00:4::/62", subnetSizeIpv6: 64 })),
        ).rejects.toMatchObject({
            code: "ipv6-pool-unpairable",
            message: expect.stringContaining('cluster "e" (10.4.4.0/24, index 4: past the pool\'s end)'),
        });
        expect((await newClient().load("green"))!.ledger.spec).not.toHaveProperty("sliceSubnetIpv6");
    });
}
