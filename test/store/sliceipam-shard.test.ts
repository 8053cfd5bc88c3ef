import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, Allocation, newLedger, release, SliceLedger } from "../../provider/core/ledger";
import { sliceSpecSchema } from "../../provider/core/validation";
import {
    ANNOTATION_LEDGER,
    assembleLedger,
    decodeShard,
    headAnnotations,
    headForm,
    partition,
    PROJECTION_LIMIT,
    projectedStatus,
    SHARD_SPAN,
    shardObject,
    UNREGISTERED,
    shardRef,
} from "../../provider/store/sliceipam-shard";
import { sliceIpamObject, SliceIpamObject } from "../../provider/store/sliceipam-object";

const spec = sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.0.0.0/8", maxClusters: 4_096 });
const now = new Date("2026-01-01T00:00:00Z");

/** A ledger built the way the service builds one: allocations, then some releases. */
function ledgerOf(clusters: number, releasedEvery: number): SliceLedger {
    let ledger = newLedger(spec, now);
    for (let i = 0; i < clusters; i++) {
        const result = allocate(ledger, `c-${i}`, now);
        if (!result.ok) throw new Error(result.issue.message);
        ledger = result.ledger;
    }
    for (let i = 0; i < clusters; i += releasedEvery) {
        ledger = release(ledger, `c-${i}`, now).ledger;
    }
    return ledger;
}

/** What the store writes and reads back: shard objects and a head, decoded again. */
function roundTrip(ledger: SliceLedger): SliceLedger {
    const shards = [...partition(ledger.allocations)].map(([shard, entries]) => {
        const ref = shardRef("blue", shard, "abc123", entries);
        return { ref, object: shardObject("ns", "blue", ref, entries, UNREGISTERED) };
    });
    const head = sliceIpamObject(ledger, "ns");
    head.metadata.annotations = headAnnotations(
        ledger,
        shards.map((s) => s.ref),
        "commit1",
    );
    const form = headForm(JSON.parse(JSON.stringify(head)));
    if (form.form !== "sharded") throw new Error(`unexpected form ${form.form}`);
    const entries = form.refs.map((ref) => {
        const decoded = decodeShard(JSON.parse(JSON.stringify(shards.find((s) => s.ref.name === ref.name)!.object)), ref, ledger.spec);
        if (!decoded.ok) throw new Error(decoded.problems.join("; "));
        return decoded.ledger.allocations;
    });
    const assembled = assembleLedger(head, form.settings, entries);
    if (!assembled.ok) throw new Error(assembled.problems.join("; "));
    return assembled.ledger;
}

describe("the sharded form of a ledger", () => {
    it("round-trips any ledger through shards and head", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 7 }), (clusters, releasedEvery) => {
                const ledger = ledgerOf(clusters, releasedEvery);
                expect(roundTrip(ledger)).toEqual(ledger);
            }),
            { numRuns: 25 },
        );
    });

    it("puts each entry in the shard of its index range", () => {
        const groups = partition(ledgerOf(300, 3).allocations);
        expect([...groups.keys()]).toEqual([0, 1, 2]);
        for (const [shard, entries] of groups) {
            expect(entries.every((entry) => Math.floor(entry.index / SHARD_SPAN) === shard)).toBe(true);
        }
    });

    it("refuses a shard whose content differs from the digest its head recorded", () => {
        const ledger = ledgerOf(3, 10);
        const ref = shardRef("blue", 0, "abc123", ledger.allocations);
        const object = shardObject("ns", "blue", ref, ledger.allocations, UNREGISTERED);
        object.spec.allocations[1] = { ...object.spec.allocations[1], clusterName: "intruder" };
        const decoded = decodeShard(object, ref, ledger.spec);
        expect(decoded.ok).toBe(false);
        expect(!decoded.ok && decoded.problems.join()).toMatch(/content digest \w+ differs from \w+ recorded in the SliceIpam/);
    });

    it("refuses a shard holding an entry outside its index range", () => {
        const ledger = ledgerOf(200, 1000);
        const entries: Allocation[] = [ledger.allocations[5], ledger.allocations[150]];
        const ref = shardRef("blue", 0, "abc123", entries);
        const decoded = decodeShard(shardObject("ns", "blue", ref, entries, UNREGISTERED), ref, ledger.spec);
        expect(!decoded.ok && decoded.problems.join()).toMatch(/cluster "c-150" has index 150, outside this shard's 0..127/);
    });

    it("reports a malformed shard list instead of reading an empty ledger", () => {
        const head = sliceIpamObject(ledgerOf(1, 10), "ns") as SliceIpamObject;
        const settings = { gracePeriodSeconds: 60, maxClusters: 4, registeredAt: now.toISOString() };
        head.metadata.annotations = { [ANNOTATION_LEDGER]: JSON.stringify({ format: 2, ...settings, span: SHARD_SPAN, shards: ["0:zz:1:1"] }) };
        expect(headForm(head)).toEqual({ form: "corrupt", problems: [expect.stringContaining('shard reference "0:zz:1:1" is malformed')] });
        head.metadata.annotations = {};
        expect(headForm(head)).toEqual({ form: "legacy" });
    });

    it("refuses a head whose ledger annotation lacks a setting, naming it, instead of filling a default", () => {
        const head = sliceIpamObject(ledgerOf(1, 10), "ns") as SliceIpamObject;
        head.metadata.annotations = {
            [ANNOTATION_LEDGER]: JSON.stringify({ format: 2, span: SHARD_SPAN, registeredAt: now.toISOString(), shards: [] }),
        };
        expect(headForm(head)).toEqual({
            form: "corrupt",
            problems: [
                expect.stringMatching(
                    new RegExp(`^annotation ${ANNOTATION_LEDGER}: gracePeriodSeconds is missing; a stored ledger holds every setting`),
                ),
                expect.stringMatching(new RegExp(`^annotation ${ANNOTATION_LEDGER}: maxClusters is missing`)),
            ],
        });
    });

    it("projects at most PROJECTION_LIMIT entries into status, active ones first, with exact capacity", () => {
        const ledger = ledgerOf(400, 2);
        const status = projectedStatus(ledger, now);
        expect(status.allocatedSubnets).toHaveLength(PROJECTION_LIMIT);
        expect(status.allocatedSubnets.every((entry) => entry.status === "Allocated")).toBe(true);
        expect(status.allocatedSubnets[0].clusterName).toBe("c-1");
        expect(status).toMatchObject({ totalSubnets: 65_536, availableSubnets: 4_096 - 200 });
        const small = projectedStatus(ledgerOf(3, 2), now);
        expect(small.allocatedSubnets.map((entry) => [entry.clusterName, entry.status])).toEqual([
            ["c-1", "Allocated"],
            ["c-0", "Released"],
            ["c-2", "Released"],
        ]);
    });
});
