/**
 * An IPv6 slice through the providers' handlers, with a real file store: what
 * check, create and read report, and exact capacity outputs past 2^53.
 */
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { makeTempDir } from "../support/temp-dir";

let temp: ReturnType<typeof makeTempDir>;
let store: { kind: "file"; directory: string };
beforeEach(() => {
    temp = makeTempDir();
    store = { kind: "file", directory: path.join(temp.dir, "store") };
});
afterEach(() => temp.remove());

const slice = { sliceName: "six", sliceSubnet: "fd00::/8", subnetSize: 64, gracePeriodSeconds: 60, maxClusters: 10 };

describe("an IPv6 SliceIpam", () => {
    it("checks its IPv6 rules, one actionable failure per property", async () => {
        const { failures } = await handlers.sliceIpam.check({}, { ...slice, sliceSubnet: "2001:db8::/32", subnetSize: 24, store });
        expect(failures).toEqual([
            {
                property: "sliceSubnet",
                reason: 'sliceSubnet "2001:db8::/32" is not a unique local IPv6 range; use a block inside fc00::/7 (e.g. "fd00:10::/48")',
            },
            {
                property: "subnetSize",
                reason: 'subnetSize must be a whole number between 48 and 120 for an IPv6 sliceSubnet such as "2001:db8::/32"; got 24 (e.g. 48)',
            },
        ]);
        expect((await handlers.sliceIpam.check({}, { ...slice, store })).failures).toEqual([]);
    });

    it("reports capacity past 2^53 exactly, beside the numbers it always had", async () => {
        const created = await handlers.sliceIpam.create({ ...slice, reservedRanges: ["fd80::/9", "fd00::/64"], store });
        expect(created.outs).toMatchObject({
            sliceSubnet: "fd00::/8",
            subnetSize: 64,
            totalSubnets: 2 ** 56,
            totalSubnetsExact: "72057594037927936",
            reservedSubnets: Number(2n ** 55n + 1n),
            reservedSubnetsExact: (2n ** 55n + 1n).toString(),
            availableSubnets: 10,
        });
        const read = await handlers.sliceIpam.read("six", { store });
        expect(read.props).toMatchObject({ totalSubnetsExact: "72057594037927936", reservedSubnetsExact: "36028797018963969" });
    });

    it("keeps the outputs of an IPv4 slice as they were, with the exact text beside them", async () => {
        const created = await handlers.sliceIpam.create({ ...slice, sliceSubnet: "10.6.0.0/16", subnetSize: 24, store });
        expect(created.outs).toMatchObject({ totalSubnets: 256, reservedSubnets: 0, totalSubnetsExact: "256", reservedSubnetsExact: "0" });
    });
});

describe("a SubnetAllocation in an IPv6 slice", () => {
    beforeEach(async () => {
        await handlers.sliceIpam.create({ ...slice, store });
    });

    it("allocates /64s first-fit, index a plain number", async () => {
        const first = await handlers.subnetAllocation.create({ sliceName: "six", clusterName: "worker-1", store });
        const second = await handlers.subnetAllocation.create({ sliceName: "six", clusterName: "worker-2", store });
        expect(first.outs).toMatchObject({ subnet: "fd00::/64", index: 0, status: "Allocated" });
        expect(second.outs).toMatchObject({ subnet: "fd00:0:0:1::/64", index: 1 });
    });

    it("takes a pin deep in the pool, and refuses one past the indexable subnets with the reason and the fix", async () => {
        const deep = await handlers.subnetAllocation.create({
            sliceName: "six",
            clusterName: "deep",
            requestedSubnet: "fd1f:ffff:ffff:ffff::/64",
            store,
        });
        expect(deep.outs).toMatchObject({ subnet: "fd1f:ffff:ffff:ffff::/64", index: 2 ** 53 - 1 });
        const { failures } = await handlers.subnetAllocation.check({}, { sliceName: "six", clusterName: "far", requestedSubnet: "fd20::/64", store });
        expect(failures).toEqual([
            {
                property: "requestedSubnet",
                reason:
                    'pinned subnet fd20::/64 for cluster "far" is past the first 2^53 (9007199254740992) subnets of slice "six" (fd00::/8, /64 subnets), ' +
                    "the only ones that can be handed out (subnet indexes are exact numbers only below 2^53); pin a /64 block inside fd00::/8, or remove the pin",
            },
        ]);
    });

    it("refuses a pin not written as RFC 5952 does", async () => {
        const { failures } = await handlers.subnetAllocation.check(
            {},
            { sliceName: "six", clusterName: "x", requestedSubnet: "fd00:0:0:1:0::/64", store },
        );
        expect(failures?.map((failure) => failure.property)).toEqual(["requestedSubnet"]);
        expect(failures?.[0].reason).toContain("is not canonical CIDR notation");
    });
});
