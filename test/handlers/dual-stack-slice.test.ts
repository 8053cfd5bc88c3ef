/**
 * A dual-stack slice through the providers' handlers, with a real file store:
 * check, diff (the IPv6 pool added once, in place; immutable after), create,
 * update and read of a SliceIpam, and the SubnetAllocation's subnetIpv6.
 */
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { UNKNOWN_VALUE } from "../../provider/handlers/inputs";
import { makeTempDir } from "../support/temp-dir";

let temp: ReturnType<typeof makeTempDir>;
let store: { kind: "file"; directory: string };
beforeEach(() => {
    temp = makeTempDir();
    store = { kind: "file", directory: path.join(temp.dir, "store") };
});
afterEach(() => temp.remove());

const ipv4 = { sliceName: "duo", sliceSubnet: "10.7.0.0/16", subnetSize: 24, gracePeriodSeconds: 60, maxClusters: 10 };
const ipv6 = { sliceSubnetIpv6: "fd00:7::/48", subnetSizeIpv6: 64 };

describe("a dual-stack SliceIpam", () => {
    it("checks the IPv6 pool's rules, one actionable failure per property", async () => {
        const { failures } = await handlers.sliceIpam.check(
            {},
            { ...ipv4, sliceSubnet: "fd00:8::/48", subnetSize: 64, sliceSubnetIpv6: "fd00:7::/48", store },
        );
        expect(failures).toEqual([
            {
                property: "sliceSubnetIpv6",
                reason:
                    'sliceSubnetIpv6 is the IPv6 pool of a dual-stack slice whose sliceSubnet is IPv4, but sliceSubnet "fd00:8::/48" is IPv6; ' +
                    'for a dual-stack slice set sliceSubnet to its IPv4 pool (e.g. "10.1.0.0/16"), or drop sliceSubnetIpv6',
            },
            { property: "subnetSizeIpv6", reason: 'subnetSizeIpv6 is required with sliceSubnetIpv6 "fd00:7::/48" (e.g. 64)' },
        ]);
        const ipv4Pool = await handlers.sliceIpam.check({}, { ...ipv4, sliceSubnetIpv6: "10.8.0.0/16", subnetSizeIpv6: 64, store });
        expect(ipv4Pool.failures).toEqual([
            { property: "sliceSubnetIpv6", reason: expect.stringContaining('sliceSubnetIpv6 "10.8.0.0/16" is an IPv4 block') },
        ]);
        expect((await handlers.sliceIpam.check({}, { ...ipv4, ...ipv6, store })).failures).toEqual([]);
    });

    it("reports its pools and capacity over the indexes both pools have", async () => {
        const created = await handlers.sliceIpam.create({ ...ipv4, ...ipv6, sliceSubnetIpv6: "fd00:7::/58", reservedRanges: ["fd00:7::/64"], store });
        expect(created.outs).toMatchObject({
            sliceSubnetIpv6: "fd00:7::/58",
            subnetSizeIpv6: 64,
            totalSubnets: 64,
            reservedSubnets: 1,
            availableSubnets: 10,
        });
        const read = await handlers.sliceIpam.read("duo", { store });
        expect(read.props).toMatchObject({ sliceSubnet: "10.7.0.0/16", sliceSubnetIpv6: "fd00:7::/58", subnetSizeIpv6: 64, totalSubnetsExact: "64" });
    });

    it.each([
        ["adding the IPv6 pool", ipv4, { ...ipv4, ...ipv6 }, { changes: true, replaces: [], deleteBeforeReplace: false }],
        [
            "adding it, unknown in a preview",
            ipv4,
            { ...ipv4, sliceSubnetIpv6: UNKNOWN_VALUE, subnetSizeIpv6: 64 },
            { changes: true, replaces: [], deleteBeforeReplace: false },
        ],
        [
            "changing it",
            { ...ipv4, ...ipv6 },
            { ...ipv4, ...ipv6, sliceSubnetIpv6: "fd00:9::/48" },
            { changes: true, replaces: ["sliceSubnetIpv6"], deleteBeforeReplace: true },
        ],
        ["removing it", { ...ipv4, ...ipv6 }, ipv4, { changes: true, replaces: ["sliceSubnetIpv6", "subnetSizeIpv6"], deleteBeforeReplace: true }],
        ["keeping it", { ...ipv4, ...ipv6 }, { ...ipv4, ...ipv6 }, { changes: false, replaces: [], deleteBeforeReplace: false }],
    ])("diff: %s", async (_case, olds, news, expected) => {
        expect(await handlers.sliceIpam.diff("duo", { ...olds, store }, { ...news, store })).toEqual(expected);
    });

    it("an IPv4 slice upgraded in place: its clusters keep their subnets and get the paired IPv6 ones", async () => {
        await handlers.sliceIpam.create({ ...ipv4, store });
        const a = await handlers.subnetAllocation.create({ sliceName: "duo", clusterName: "a", store });
        const b = await handlers.subnetAllocation.create({ sliceName: "duo", clusterName: "b", store });
        expect(a.outs).not.toHaveProperty("subnetIpv6");
        expect((await handlers.sliceIpam.check({ ...ipv4, store }, { ...ipv4, ...ipv6, store })).failures).toEqual([]);
        const updated = await handlers.sliceIpam.update("duo", { ...ipv4, store }, { ...ipv4, ...ipv6, store });
        expect(updated.outs).toMatchObject({ sliceSubnetIpv6: "fd00:7::/48", subnetSizeIpv6: 64 });

        const olds = { ...a.outs };
        const news = { sliceName: "duo", clusterName: "a", sliceSubnetIpv6: "fd00:7::/48", store };
        expect((await handlers.subnetAllocation.diff("duo/a", olds, news)).changes).toBe(true);
        expect((await handlers.subnetAllocation.diff("duo/a", olds, { ...news, sliceSubnetIpv6: UNKNOWN_VALUE })).replaces).toEqual([]);
        const after = await handlers.subnetAllocation.update("duo/a", olds, news);
        expect(after.outs).toMatchObject({ subnet: "10.7.0.0/24", subnetIpv6: "fd00:7::/64", index: 0, reused: false });
        const readB = await handlers.subnetAllocation.read("duo/b", { ...b.outs });
        expect(readB.props).toMatchObject({ subnet: "10.7.1.0/24", subnetIpv6: "fd00:7:0:1::/64", index: 1 });
    });

    it("refuses at preview an IPv6 pool with no usable subnet for a held index, naming the clusters", async () => {
        await handlers.sliceIpam.create({ ...ipv4, reservedRanges: ["fd00:7::/64"], store });
        await handlers.subnetAllocation.create({ sliceName: "duo", clusterName: "a", store });
        const { failures } = await handlers.sliceIpam.check({ ...ipv4, store }, { ...ipv4, ...ipv6, reservedRanges: ["fd00:7::/64"], store });
        expect(failures).toEqual([
            {
                property: "sliceSubnetIpv6",
                reason: expect.stringContaining(
                    'has no usable subnet paired with cluster "a" (10.7.0.0/24, index 0: inside reserved range fd00:7::/64)',
                ),
            },
        ]);
        await expect(
            handlers.sliceIpam.update("duo", { ...ipv4, store }, { ...ipv4, ...ipv6, reservedRanges: ["fd00:7::/64"], store }),
        ).rejects.toMatchObject({
            code: "ipv6-pool-unpairable",
        });
    });
});

describe("a SubnetAllocation in a dual-stack slice", () => {
    beforeEach(async () => {
        await handlers.sliceIpam.create({ ...ipv4, ...ipv6, store });
    });

    it("reports both subnets of its index", async () => {
        await handlers.subnetAllocation.create({ sliceName: "duo", clusterName: "a", store });
        const b = await handlers.subnetAllocation.create({ sliceName: "duo", clusterName: "b", store });
        expect(b.outs).toMatchObject({ subnet: "10.7.1.0/24", subnetIpv6: "fd00:7:0:1::/64", index: 1 });
    });

    it("takes an IPv6 pin, and both pins of one index", async () => {
        const v6 = await handlers.subnetAllocation.create({ sliceName: "duo", clusterName: "a", requestedSubnetIpv6: "fd00:7:0:5::/64", store });
        expect(v6.outs).toMatchObject({ subnet: "10.7.5.0/24", subnetIpv6: "fd00:7:0:5::/64", index: 5, requestedSubnetIpv6: "fd00:7:0:5::/64" });
        const both = await handlers.subnetAllocation.create({
            sliceName: "duo",
            clusterName: "b",
            requestedSubnet: "10.7.6.0/24",
            requestedSubnetIpv6: "fd00:7:0:6::/64",
            store,
        });
        expect(both.outs).toMatchObject({ index: 6 });
    });

    it("refuses in check two pins that name different indexes, saying which index each names", async () => {
        const { failures } = await handlers.subnetAllocation.check(
            {},
            { sliceName: "duo", clusterName: "a", requestedSubnet: "10.7.5.0/24", requestedSubnetIpv6: "fd00:7:0:6::/64", store },
        );
        expect(failures).toEqual([
            {
                property: "requestedSubnet",
                reason:
                    'the pins of cluster "a" in slice "duo" name different indexes: 10.7.5.0/24 is index 5, fd00:7:0:6::/64 is index 6; ' +
                    "a cluster holds the subnets of one index in both pools, so pin the pair of one index, or pin one family only",
            },
        ]);
        await expect(
            handlers.subnetAllocation.create({
                sliceName: "duo",
                clusterName: "a",
                requestedSubnet: "10.7.5.0/24",
                requestedSubnetIpv6: "fd00:7:0:6::/64",
                store,
            }),
        ).rejects.toMatchObject({ code: "requested-subnets-unpaired" });
    });

    it("refuses an IPv6 pin that is not an IPv6 block", async () => {
        const { failures } = await handlers.subnetAllocation.check(
            {},
            { sliceName: "duo", clusterName: "a", requestedSubnetIpv6: "10.7.5.0/24", store },
        );
        expect(failures).toEqual([
            {
                property: "requestedSubnetIpv6",
                reason: 'requestedSubnetIpv6 "10.7.5.0/24" is not an IPv6 block in canonical CIDR notation (e.g. "fd00:10:0:4::/64")',
            },
        ]);
    });
});
