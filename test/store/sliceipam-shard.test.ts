import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HistoryEvent } from "../../provider/core/history";
import { allocate, Allocation, newLedger, reclaim, release, SliceLedger } from "../../provider/core/ledger";
import { sliceSpecSchema } from "../../provider/core/validation";
import {
    ANNOTATION_HISTORY,
    encodeHistory,
    HISTORY_ANNOTATION_LIMIT_BYTES,
    historyOfAnnotation,
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
import { recentChanges } from "../../provider/store/sliceipam-recent";

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

/**
 * What the store writes and reads back: the shards of `stored` (an earlier
 * ledger; by default `ledger` itself) and a head holding how `ledger`
 * differs from them, decoded again.
 */
function roundTrip(ledger: SliceLedger, stored: SliceLedger = ledger): SliceLedger {
    const storedGroups = partition(stored.allocations);
    const shards = [...storedGroups].map(([shard, entries]) => {
        const ref = shardRef("blue", shard, "abc123", entries);
        return { ref, object: shardObject("ns", "blue", ref, entries, UNREGISTERED) };
    });
    const head = sliceIpamObject(ledger, "ns");
    head.metadata.annotations = headAnnotations(
        ledger,
        shards.map((s) => s.ref),
        "commit1",
        recentChanges(storedGroups, partition(ledger.allocations)),
    );
    const form = headForm(JSON.parse(JSON.stringify(head)));
    if (form.form !== "sharded") throw new Error(`unexpected form ${form.form}`);
    const entries = form.refs.map((ref) => {
        const decoded = decodeShard(JSON.parse(JSON.stringify(shards.find((s) => s.ref.name === ref.name)!.object)), ref, ledger.spec);
        if (!decoded.ok) throw new Error(decoded.problems.join("; "));
        return decoded.ledger.allocations;
    });
    const assembled = assembleLedger(head, form.settings, entries, form.recent);
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

    it("round-trips any ledger through the shards of an earlier one and the recent changes in its head", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 300 }),
                fc.integer({ min: 1, max: 7 }),
                fc.array(fc.tuple(fc.constantFrom("join", "leave", "reclaim"), fc.integer({ min: 0, max: 340 })), { maxLength: 60 }),
                (clusters, releasedEvery, changes) => {
                    const stored = ledgerOf(clusters, releasedEvery);
                    let ledger = stored;
                    for (const [change, n] of changes) {
                        if (change === "join") {
                            const result = allocate(ledger, `c-${n}`, now);
                            ledger = result.ok ? result.ledger : ledger;
                        } else if (change === "leave") {
                            ledger = release(ledger, `c-${n}`, now).ledger;
                        } else {
                            ledger = reclaim(ledger, new Date(now.getTime() + 365 * 86_400_000)).ledger;
                        }
                    }
                    expect(roundTrip(ledger, stored)).toEqual(ledger);
                },
            ),
            { numRuns: 40 },
        );
    });

    it("refuses recent changes that do not fit its shards", () => {
        const stored = ledgerOf(3, 10);
        const ref = shardRef("blue", 0, "abc123", stored.allocations);
        const head = sliceIpamObject(stored, "ns");
        head.metadata.annotations = headAnnotations(stored, [ref], "commit1", { recent: [stored.allocations[1]], vacated: [1, 7] });
        const form = headForm(JSON.parse(JSON.stringify(head)));
        if (form.form !== "sharded") throw new Error(`unexpected form ${form.form}`);
        const assembled = assembleLedger(head, form.settings, [stored.allocations], form.recent);
        expect(!assembled.ok && assembled.problems).toEqual([
            `annotation ${ANNOTATION_LEDGER}: vacated index 7 is not held by any shard`,
            `annotation ${ANNOTATION_LEDGER}: index 1 is both vacated and held by cluster "c-1"`,
        ]);
        head.metadata.annotations[ANNOTATION_LEDGER] = head.metadata.annotations[ANNOTATION_LEDGER].replace('"vacated":[1,7]', '"vacated":[7,1]');
        expect(headForm(head)).toEqual({
            form: "corrupt",
            problems: [expect.stringContaining("vacated index 1 is not a subnet index in ascending order")],
        });
    });

    it("refuses recent changes in a head of format 2, which had none", () => {
        const stored = ledgerOf(3, 10);
        const head = sliceIpamObject(stored, "ns");
        head.metadata.annotations = headAnnotations(stored, [], "commit1", { recent: stored.allocations, vacated: [] });
        head.metadata.annotations[ANNOTATION_LEDGER] = head.metadata.annotations[ANNOTATION_LEDGER].replace('"format":3', '"format":2');
        expect(headForm(head)).toEqual({ form: "corrupt", problems: [expect.stringContaining("only in format 3")] });
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

describe("the history annotation", () => {
    const event = (i: number): HistoryEvent => ({
        at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        action: i % 2 === 0 ? "allocated" : "released",
        clusterName: `a-cluster-name-of-sixty-three-characters-which-is-the-limit-${String(i % 1000).padStart(3, "0")}`,
        subnet: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
        from: i % 2 === 0 ? "Available" : "Allocated",
        to: i % 2 === 0 ? "Allocated" : "Released",
        actor: { via: "pulumi", project: "platform-network", stack: "production-eu-west-1", user: "ci-runner", host: "runner-7f9c2d-abcde" },
    });

    it("holds the default 1,000 events, with 63-character cluster names, well within its share of the budget", () => {
        const history = Array.from({ length: 1_000 }, (_, i) => event(i));
        const text = encodeHistory(history);
        expect(text.length).toBeLessThan(HISTORY_ANNOTATION_LIMIT_BYTES / 2);
        const decoded = historyOfAnnotation(text);
        expect(decoded.ok && (decoded.events as unknown[]).length).toBe(1_000);
    });

    it("keeps only the newest events that fit when the configured bound allows more", () => {
        const history = Array.from({ length: 40_000 }, (_, i) => event(i));
        const text = encodeHistory(history);
        expect(text.length).toBeLessThanOrEqual(HISTORY_ANNOTATION_LIMIT_BYTES);
        const decoded = historyOfAnnotation(text);
        const events = (decoded.ok ? decoded.events : []) as HistoryEvent[];
        expect(events.length).toBeGreaterThan(1_000);
        expect(events.at(-1)).toEqual(history.at(-1));
    });

    it("is refused, naming the annotation, when it is not what the store writes", () => {
        expect(historyOfAnnotation("not base64 gzip")).toMatchObject({ ok: false, problem: expect.stringContaining(ANNOTATION_HISTORY) });
    });
});
