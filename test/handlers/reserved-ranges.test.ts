/**
 * Reserved ranges and plans that hold through the providers' handlers, with a
 * real file store: what check, diff, create, update and read do.
 */
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { UNKNOWN_VALUE } from "../../provider/handlers/inputs";
import { allocateSubnet } from "../../provider/service/allocations";
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
const fileStore = () => new FileLedgerStore(store.directory);

async function registered(extra: Record<string, unknown> = {}) {
    const created = await handlers.sliceIpam.create({ ...slice, ...extra, store });
    return created.outs as Record<string, unknown>;
}

describe("SliceIpam check", () => {
    it("gives one failure per bad property, reservedRanges' listing each bad range", async () => {
        const { failures } = await handlers.sliceIpam.check({}, { ...slice, reservedRanges: ["10.6.0.1/24", "x"], maxClusters: 0, store });
        expect(failures).toEqual([
            { property: "maxClusters", reason: "maxClusters must be a whole number between 1 and 4096; got 0" },
            {
                property: "reservedRanges",
                reason:
                    'reservedRanges[0] "10.6.0.1/24" has host bits set; did you mean "10.6.0.0/24"?; ' +
                    'reservedRanges[1] "x" is not valid CIDR notation (expected e.g. "10.1.0.0/24")',
            },
        ]);
    });

    it("refuses ranges that cover the whole pool", async () => {
        const { failures } = await handlers.sliceIpam.check({}, { ...slice, reservedRanges: ["10.0.0.0/8"], store });
        expect(failures).toEqual([
            {
                property: "reservedRanges",
                reason: "reservedRanges cover every /24 subnet of 10.6.0.0/16, so no cluster could join; reserve less of the pool",
            },
        ]);
    });

    it("passes an unknown list (another resource's output in a preview) through without reading the store", async () => {
        const news = { ...slice, reservedRanges: UNKNOWN_VALUE, store };
        const checked = await handlers.sliceIpam.check({}, news);
        expect(checked.failures).toEqual([]);
        expect(checked.inputs.reservedRanges).toBe(UNKNOWN_VALUE);
        const partly = await handlers.sliceIpam.check({}, { ...news, reservedRanges: ["10.6.0.0/24", UNKNOWN_VALUE] });
        expect(partly.failures).toEqual([]);
    });

    it("refuses, naming the clusters, a new range over held subnets; accepts it when told to", async () => {
        await registered();
        await allocateSubnet(fileStore(), "s1", "a");
        await allocateSubnet(fileStore(), "s1", "b");
        const news = { ...slice, reservedRanges: ["10.6.0.0/23", "172.16.0.0/12"], store };
        const { failures } = await handlers.sliceIpam.check(slice, news);
        expect(failures).toHaveLength(1);
        expect(failures![0].property).toBe("reservedRanges");
        expect(failures![0].reason).toBe(
            'reserved range 10.6.0.0/23 of slice "s1" overlaps subnets held by cluster "a" (10.6.0.0/24), cluster "b" (10.6.1.0/24); ' +
                "remove those clusters first, narrow the range, or set acceptReservedOverlaps: true to let them keep their subnets " +
                "(nothing new is allocated in the range; slice-ipam check lists them)",
        );
        expect((await handlers.sliceIpam.check(slice, { ...news, acceptReservedOverlaps: true })).failures).toEqual([]);
        // A range clear of the holders is fine.
        expect((await handlers.sliceIpam.check(slice, { ...slice, reservedRanges: ["10.6.2.0/24"], store })).failures).toEqual([]);
    });
});

describe("SliceIpam diff", () => {
    it.each([
        [undefined, ["10.6.0.0/24"]],
        [["10.6.0.0/24"], ["10.6.0.0/24", "10.6.9.0/24"]],
        [["10.6.0.0/24"], []],
        [["10.6.0.0/24"], UNKNOWN_VALUE],
    ])("%j → %j is an update in place, never a replacement", async (before, after) => {
        const diff = await handlers.sliceIpam.diff("s1", { ...slice, reservedRanges: before, store }, { ...slice, reservedRanges: after, store });
        expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    });

    it("sees no change when the list is the same", async () => {
        const props = { ...slice, reservedRanges: ["10.6.0.0/24"], acceptReservedOverlaps: true, store };
        expect((await handlers.sliceIpam.diff("s1", props, { ...props })).changes).toBe(false);
    });
});

describe("SliceIpam create, update and read", () => {
    it("stores the ranges, reports reservedSubnets, and allocations skip them", async () => {
        const outs = await registered({ reservedRanges: ["10.6.0.0/22", "192.168.0.0/16"] });
        expect(outs).toMatchObject({
            reservedRanges: ["10.6.0.0/22", "192.168.0.0/16"],
            reservedSubnets: 4,
            availableSubnets: 10,
            totalSubnets: 256,
        });
        expect((await allocateSubnet(fileStore(), "s1", "a")).allocation.subnet).toBe("10.6.4.0/24");
        const read = await handlers.sliceIpam.read("s1", outs);
        expect(read.props).toMatchObject({ reservedRanges: ["10.6.0.0/22", "192.168.0.0/16"], reservedSubnets: 4 });
    });

    it("update refuses a range over held subnets (the check raced) and writes nothing; with acceptance the holders keep them", async () => {
        const olds = await registered();
        await allocateSubnet(fileStore(), "s1", "a");
        const news = { ...slice, reservedRanges: ["10.6.0.0/24"], store };
        const error = await handlers.sliceIpam.update("s1", olds, news).catch((e: Error) => e);
        expect((error as { code?: string }).code).toBe("reserved-range-overlaps-held");
        expect((await fileStore().load("s1"))?.ledger.spec.reservedRanges).toBeUndefined();

        const updated = await handlers.sliceIpam.update("s1", olds, { ...news, acceptReservedOverlaps: true });
        expect(updated.outs).toMatchObject({ reservedRanges: ["10.6.0.0/24"], reservedSubnets: 1, acceptReservedOverlaps: true });
        const ledger = (await fileStore().load("s1"))!.ledger;
        expect(ledger.allocations.map((e) => [e.clusterName, e.subnet])).toEqual([["a", "10.6.0.0/24"]]);
        expect((await allocateSubnet(fileStore(), "s1", "b")).allocation.subnet).toBe("10.6.1.0/24");

        // Removing the range later frees nothing: a still holds its subnet.
        await handlers.sliceIpam.update("s1", updated.outs, { ...slice, reservedRanges: [], store });
        const after = (await fileStore().load("s1"))!.ledger;
        expect(after.spec.reservedRanges).toBeUndefined();
        expect(after.allocations.map((e) => e.clusterName)).toEqual(["a", "b"]);
    });
});

describe("SubnetAllocation with planMustHold", () => {
    it("fails the create when the planned subnet was taken, naming who holds it and the subnet free now", async () => {
        await registered();
        await allocateSubnet(fileStore(), "s1", "other"); // takes 10.6.0.0/24, the plan below
        const inputs = { sliceName: "s1", clusterName: "b", requestedSubnet: "10.6.0.0/24", requestedSubnetIsPlan: true, planMustHold: true, store };
        const message =
            'slice "s1": the planned subnet 10.6.0.0/24 for cluster "b" was taken by cluster "other" after the preview, and planMustHold ' +
            "is set, so nothing was allocated. The lowest free subnet now is 10.6.1.0/24. Run the preview again and review the new plan, then run up.";
        const error = await handlers.subnetAllocation.create(inputs).catch((e: Error) => e);
        expect((error as { code?: string }).code).toBe("planned-subnet-not-held");
        expect((error as Error).message).toBe(message);
        expect((await fileStore().load("s1"))!.ledger.allocations.map((e) => e.clusterName)).toEqual(["other"]);
        // check, run again by the up, says the same on the requestedSubnet.
        expect((await handlers.subnetAllocation.check({}, inputs)).failures).toEqual([{ property: "requestedSubnet", reason: message }]);
    });

    it("keeps the default: a taken plan falls back to first-fit", async () => {
        await registered();
        await allocateSubnet(fileStore(), "s1", "other");
        const inputs = { sliceName: "s1", clusterName: "b", requestedSubnet: "10.6.0.0/24", requestedSubnetIsPlan: true, store };
        expect((await handlers.subnetAllocation.check({}, inputs)).failures).toEqual([]);
        const created = await handlers.subnetAllocation.create(inputs);
        expect(created.outs).toMatchObject({ subnet: "10.6.1.0/24" });
    });

    it("refuses a pin inside a reserved range in check", async () => {
        await registered({ reservedRanges: ["10.6.0.0/22"] });
        const inputs = { sliceName: "s1", clusterName: "b", requestedSubnet: "10.6.3.0/24", store };
        expect((await handlers.subnetAllocation.check({}, inputs)).failures).toEqual([
            {
                property: "requestedSubnet",
                reason:
                    'pinned subnet 10.6.3.0/24 for cluster "b" is inside reserved range 10.6.0.0/22 of slice "s1"; ' +
                    "pin a subnet outside the reservedRanges, or remove the pin",
            },
        ]);
    });
});
