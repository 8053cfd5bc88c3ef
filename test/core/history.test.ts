import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    appendHistory,
    DEFAULT_HISTORY_BOUNDS,
    eventsOfChange,
    HistoryActor,
    HistoryEvent,
    HistoryStatus,
    recordChange,
    selectHistory,
} from "../../provider/core/history";
import { allocate, markInUse, reclaim, reclaimEarly, release, SliceLedger, withSettings } from "../../provider/core/ledger";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

const actor: HistoryActor = { via: "library", user: "ops", host: "box" };
const context = (seconds: number, note?: string) => ({ at: at(seconds), actor, note });
const UNBOUNDED = { maxEvents: Number.MAX_SAFE_INTEGER, maxAgeSeconds: 100 * 365 * 86_400 };

/** Applies a change the way updateLedger does: the change, then its events. */
function changed(before: SliceLedger | undefined, after: SliceLedger, seconds: number, note?: string): SliceLedger {
    return recordChange(before, after, context(seconds, note), UNBOUNDED);
}

describe("eventsOfChange", () => {
    it("records a registration with the pool", () => {
        const ledger = ledgerFor({ sliceSubnet: "10.1.0.0/16" });
        expect(eventsOfChange(undefined, ledger, context(0))).toEqual([
            { at: at(0).toISOString(), actor, action: "registered", detail: "10.1.0.0/16 in /24 subnets" },
        ]);
    });

    it("records each kind of allocation change with its before and after status", () => {
        const base = ledgerFor({ gracePeriodSeconds: 100 });
        const allocated = mustAllocate(base, "a", at(1)).ledger;
        const inUse = markInUse(allocated, "a");
        const released = release(inUse.ok ? inUse.ledger : allocated, "a", at(2)).ledger;
        const reused = allocate(released, "a", at(3));
        const pick = (before: SliceLedger, after: SliceLedger, seconds = 9) =>
            eventsOfChange(before, after, context(seconds)).map(({ action, clusterName, subnet, from, to }) => ({
                action,
                clusterName,
                subnet,
                from,
                to,
            }));
        const subject = { clusterName: "a", subnet: "10.1.0.0/24" };
        expect(pick(base, allocated)).toEqual([{ action: "allocated", ...subject, from: "Available", to: "Allocated" }]);
        expect(pick(allocated, inUse.ok ? inUse.ledger : allocated)).toEqual([{ action: "in-use", ...subject, from: "Allocated", to: "InUse" }]);
        expect(pick(inUse.ok ? inUse.ledger : allocated, released)).toEqual([{ action: "released", ...subject, from: "InUse", to: "Released" }]);
        expect(pick(released, reused.ok ? reused.ledger : released)).toEqual([{ action: "reused", ...subject, from: "Released", to: "Allocated" }]);
        const early = reclaimEarly(released, "a");
        expect(pick(released, early.ok ? early.ledger : released)).toEqual([
            { action: "reclaimed-early", ...subject, from: "Released", to: "Available" },
        ]);
        expect(pick(released, reclaim(released, at(102)).ledger, 102)).toEqual([
            { action: "reclaimed", ...subject, from: "Released", to: "Available" },
        ]);
    });

    it("puts a reclaim before the allocation that takes the same subnet, and notes a pin", () => {
        let ledger = ledgerFor({ sliceSubnet: "10.1.0.0/23", gracePeriodSeconds: 10 });
        ledger = mustAllocate(mustAllocate(ledger, "a", at(0)).ledger, "b", at(0)).ledger;
        ledger = release(ledger, "a", at(1)).ledger;
        const next = allocate(ledger, "c", at(20));
        expect(next.ok).toBe(true);
        const events = eventsOfChange(ledger, next.ok ? next.ledger : ledger, context(20, "pinned 10.1.0.0/24"));
        expect(events.map((event) => [event.action, event.clusterName, event.subnet, event.detail])).toEqual([
            ["reclaimed", "a", "10.1.0.0/24", undefined],
            ["allocated", "c", "10.1.0.0/24", "pinned 10.1.0.0/24"],
        ]);
    });

    it("records settings changes and nothing for counters alone", () => {
        const ledger = ledgerFor({ gracePeriodSeconds: 100, maxClusters: 10 });
        const settings = eventsOfChange(ledger, withSettings(ledger, { gracePeriodSeconds: 60, maxClusters: 10 }), context(1));
        expect(settings.map((event) => [event.action, event.detail])).toEqual([["settings-changed", "gracePeriodSeconds 100 → 60"]]);
        const counted = { ...ledger, counters: { ...ledger.counters, conflicts: 3 } };
        expect(eventsOfChange(ledger, counted, context(1))).toEqual([]);
        expect(recordChange(ledger, counted, context(1), UNBOUNDED)).toBe(counted);
    });

    it("records a change of reserved ranges as a settings change, with the lists before and after", () => {
        const ledger = ledgerFor({ gracePeriodSeconds: 100, maxClusters: 10 });
        const reserved = withSettings(ledger, { gracePeriodSeconds: 100, maxClusters: 10, reservedRanges: ["10.1.200.0/22"] });
        expect(eventsOfChange(ledger, reserved, context(1)).map((event) => [event.action, event.detail])).toEqual([
            ["settings-changed", "reservedRanges [] → [10.1.200.0/22]"],
        ]);
        const freed = withSettings(reserved, { gracePeriodSeconds: 100, maxClusters: 10, reservedRanges: [] });
        expect(eventsOfChange(reserved, freed, context(2)).map((event) => event.detail)).toEqual(["reservedRanges [10.1.200.0/22] → []"]);
    });
});

describe("appendHistory", () => {
    const event = (seconds: number): HistoryEvent => ({ at: at(seconds).toISOString(), action: "allocated", clusterName: `c${seconds}`, actor });

    it("keeps the newest maxEvents and none older than maxAgeSeconds", () => {
        const history = [0, 1, 2, 3].map(event);
        expect(appendHistory(history, [event(4)], { maxEvents: 3, maxAgeSeconds: 1_000 }, at(4)).map((e) => e.clusterName)).toEqual([
            "c2",
            "c3",
            "c4",
        ]);
        expect(appendHistory(history, [event(10)], { maxEvents: 100, maxAgeSeconds: 8 }, at(10)).map((e) => e.clusterName)).toEqual([
            "c2",
            "c3",
            "c10",
        ]);
    });

    it("selects by cluster and time", () => {
        const history = [0, 1, 2].map(event);
        expect(selectHistory(history, { clusterName: "c1" }).map((e) => e.at)).toEqual([at(1).toISOString()]);
        expect(selectHistory(history, { since: at(1) }).map((e) => e.clusterName)).toEqual(["c1", "c2"]);
    });

    it("has documented defaults", () => {
        expect(DEFAULT_HISTORY_BOUNDS).toEqual({ maxEvents: 1_000, maxAgeSeconds: 90 * 86_400 });
    });
});

// The history is a faithful log: replaying its events from an empty pool gives the ledger's allocations.
const clusters = ["c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6"];
const step = () =>
    fc.oneof(
        fc.record({ op: fc.constant("allocate" as const), cluster: fc.constantFrom(...clusters) }),
        fc.record({ op: fc.constant("release" as const), cluster: fc.constantFrom(...clusters) }),
        fc.record({ op: fc.constant("markInUse" as const), cluster: fc.constantFrom(...clusters) }),
        fc.record({ op: fc.constant("reclaim" as const) }),
        fc.record({ op: fc.constant("reclaimEarly" as const), cluster: fc.constantFrom(...clusters) }),
        fc.record({ op: fc.constant("settings" as const), grace: fc.integer({ min: 0, max: 200 }) }),
        fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 150 }) }),
    );

function replay(history: readonly HistoryEvent[]): Map<string, { subnet: string; status: HistoryStatus }> {
    const state = new Map<string, { subnet: string; status: HistoryStatus }>();
    for (const event of history) {
        if (event.clusterName === undefined) {
            continue;
        }
        const held = state.get(event.clusterName);
        // Each event starts from the state the previous ones left: none is missing or doubled.
        expect(held?.status ?? "Available").toBe(event.from);
        if (event.to === "Available") {
            state.delete(event.clusterName);
        } else {
            state.set(event.clusterName, { subnet: event.subnet!, status: event.to! });
        }
    }
    return state;
}

describe("history properties", () => {
    it("replaying the events of any sequence of changes gives the ledger, and each change adds its own events only", () => {
        fc.assert(
            fc.property(fc.array(step(), { maxLength: 60 }), (steps) => {
                let clock = 0;
                let ledger = changed(
                    undefined,
                    ledgerFor({ sliceSubnet: "192.168.0.0/26", subnetSize: 29, gracePeriodSeconds: 100, maxClusters: 6 }),
                    0,
                );
                for (const s of steps) {
                    const now = at(clock);
                    let next: SliceLedger;
                    if (s.op === "wait") {
                        clock += s.seconds;
                        continue;
                    } else if (s.op === "allocate") {
                        const result = allocate(ledger, s.cluster, now);
                        next = result.ok ? result.ledger : ledger;
                    } else if (s.op === "release") {
                        next = release(ledger, s.cluster, now).ledger;
                    } else if (s.op === "markInUse") {
                        const result = markInUse(ledger, s.cluster);
                        next = result.ok ? result.ledger : ledger;
                    } else if (s.op === "reclaim") {
                        next = reclaim(ledger, now).ledger;
                    } else if (s.op === "reclaimEarly") {
                        const result = reclaimEarly(ledger, s.cluster);
                        next = result.ok ? result.ledger : ledger;
                    } else {
                        next = withSettings(ledger, { gracePeriodSeconds: s.grace, maxClusters: ledger.spec.maxClusters });
                    }
                    const recorded = next === ledger ? ledger : changed(ledger, next, clock);
                    const added = (recorded.history ?? []).slice((ledger.history ?? []).length);
                    // A change with no effect has no event; one with an effect has at least one.
                    expect(added.length === 0).toBe(
                        next === ledger ||
                            (JSON.stringify(next.allocations) === JSON.stringify(ledger.allocations) &&
                                JSON.stringify(next.spec) === JSON.stringify(ledger.spec)),
                    );
                    ledger = recorded;
                }
                const replayed = replay(ledger.history ?? []);
                expect(new Map(ledger.allocations.map((entry) => [entry.clusterName, { subnet: entry.subnet, status: entry.status }]))).toEqual(
                    replayed,
                );
            }),
            { numRuns: 300 },
        );
    });

    it("keeps a bounded history at any length of churn", () => {
        const bounds = { maxEvents: 50, maxAgeSeconds: 3_600 };
        let ledger = ledgerFor({ sliceSubnet: "10.0.0.0/12", subnetSize: 26, gracePeriodSeconds: 0 });
        for (let round = 0; round < 2_000; round++) {
            const cluster = `c-${round % 300}`;
            const next =
                round % 2 === 0
                    ? allocate(ledger, cluster, at(round))
                    : { ok: true as const, ledger: release(ledger, `c-${(round - 1) % 300}`, at(round)).ledger };
            if (next.ok) {
                ledger = recordChange(ledger, next.ledger, context(round), bounds);
            }
            expect((ledger.history ?? []).length).toBeLessThanOrEqual(50);
        }
        expect((ledger.history ?? []).at(-1)?.at).toBe(at(1_999).toISOString());
    });
});
