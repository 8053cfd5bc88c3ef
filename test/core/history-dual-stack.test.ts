/**
 * The history of a dual-stack slice: per-cluster events name the IPv6 subnet
 * paired with the IPv4 one, through the stored document, `slice-ipam history`
 * and Kubernetes Events; a single-stack slice's events stay as they were.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventsOfChange, HistoryActor, HistoryEvent, recordChange } from "../../provider/core/history";
import { withIpv6Pool } from "../../provider/core/dual-stack";
import { allocate, reclaimEarly, release } from "../../provider/core/ledger";
import { decodeLedger, encodeHistoryEvent, encodeLedger } from "../../provider/store/ledger-document";
import { kubernetesEvents } from "../../provider/store/kubernetes-events";
import { renderTable } from "../../cli/format";
import { HISTORY_COLUMNS } from "../../cli/history-view";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

const actor: HistoryActor = { via: "library" };
const context = (seconds: number) => ({ at: at(seconds), actor });
const UNBOUNDED = { maxEvents: Number.MAX_SAFE_INTEGER, maxAgeSeconds: 100 * 365 * 86_400 };
const dual = () => ledgerFor({ sliceSubnet: "10.1.0.0/16", sliceSubnetIpv6: "fd00:1::/48", subnetSizeIpv6: 64, gracePeriodSeconds: 100 });
const subjectOf = ({ action, clusterName, subnet, subnetIpv6 }: HistoryEvent) => ({ action, clusterName, subnet, subnetIpv6 });

describe("events of a dual-stack slice", () => {
    it("name the IPv6 subnet at the entry's index, from allocation to reclaim", () => {
        const base = mustAllocate(dual(), "a", at(1)).ledger;
        const allocated = mustAllocate(base, "b", at(1)).ledger;
        const released = release(allocated, "b", at(2)).ledger;
        const early = reclaimEarly(released, "b");
        expect(early.ok).toBe(true);
        const b = { clusterName: "b", subnet: "10.1.1.0/24", subnetIpv6: "fd00:1:0:1::/64" };
        expect(eventsOfChange(base, allocated, context(1)).map(subjectOf)).toEqual([{ action: "allocated", ...b }]);
        expect(eventsOfChange(allocated, released, context(2)).map(subjectOf)).toEqual([{ action: "released", ...b }]);
        expect(eventsOfChange(released, early.ok ? early.ledger : released, context(3)).map(subjectOf)).toEqual([
            { action: "reclaimed-early", ...b },
        ]);
    });

    it("record the IPv6 pool added to an IPv4 slice as a settings change only: nobody's subnets move", () => {
        const single = mustAllocate(ledgerFor({ sliceSubnet: "10.1.0.0/16" }), "a", at(1)).ledger;
        const upgraded = withIpv6Pool(single, { sliceSubnetIpv6: "fd00:1::/48", subnetSizeIpv6: 64 }, at(2));
        expect(upgraded.ok).toBe(true);
        const events = eventsOfChange(single, upgraded.ok ? upgraded.ledger : single, context(2));
        expect(events.map(({ action, detail }) => ({ action, detail }))).toEqual([
            { action: "settings-changed", detail: "IPv6 pool fd00:1::/48 in /64 subnets added (dual-stack)" },
        ]);
    });

    it("have no IPv6 field in a single-stack slice", () => {
        const single = ledgerFor({ sliceSubnet: "10.1.0.0/16" });
        const [event] = eventsOfChange(single, mustAllocate(single, "a", at(1)).ledger, context(1));
        expect(event).not.toHaveProperty("subnetIpv6");
        expect(Object.keys(encodeHistoryEvent(event))).toEqual(["at", "action", "clusterName", "subnet", "from", "to", "actor"]);
    });

    it("replayed from any sequence of joins and leaves, give each entry's subnets of both families", () => {
        const clusters = ["c-0", "c-1", "c-2", "c-3"];
        const step = fc.record({ op: fc.constantFrom("allocate", "release", "reclaimEarly"), cluster: fc.constantFrom(...clusters) });
        fc.assert(
            fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
                let ledger = recordChange(undefined, dual(), context(0), UNBOUNDED);
                steps.forEach((s, i) => {
                    const result =
                        s.op === "allocate"
                            ? allocate(ledger, s.cluster, at(i))
                            : s.op === "release"
                              ? { ok: true as const, ledger: release(ledger, s.cluster, at(i)).ledger }
                              : reclaimEarly(ledger, s.cluster);
                    if (result.ok && result.ledger !== ledger) {
                        ledger = recordChange(ledger, result.ledger, context(i), UNBOUNDED);
                    }
                });
                const replayed = new Map<string, { subnet?: string; subnetIpv6?: string }>();
                for (const event of ledger.history ?? []) {
                    if (event.clusterName !== undefined) {
                        if (event.to === "Available") {
                            replayed.delete(event.clusterName);
                        } else {
                            replayed.set(event.clusterName, { subnet: event.subnet, subnetIpv6: event.subnetIpv6 });
                        }
                    }
                }
                const entries = ledger.allocations.map((entry) => [entry.clusterName, { subnet: entry.subnet, subnetIpv6: entry.subnetIpv6 }]);
                expect(replayed).toEqual(new Map(entries as [string, { subnet: string; subnetIpv6?: string }][]));
                expect([...replayed.values()].every((held) => held.subnetIpv6 !== undefined)).toBe(true);
            }),
            { numRuns: 200 },
        );
    });
});

describe("the stored history", () => {
    const ledger = recordChange(dual(), mustAllocate(dual(), "a", at(1)).ledger, context(1), UNBOUNDED);

    it("keeps an event's IPv6 subnet", () => {
        const decoded = decodeLedger(JSON.parse(JSON.stringify(encodeLedger(ledger))));
        expect(decoded.ok && decoded.ledger.history?.[0]).toMatchObject({ subnet: "10.1.0.0/24", subnetIpv6: "fd00:1::/64" });
    });

    it("still reads events written without one", () => {
        const stored = JSON.parse(JSON.stringify(encodeLedger(ledger)));
        delete stored.history[0].subnetIpv6;
        const decoded = decodeLedger(stored);
        expect(decoded.ok).toBe(true);
        expect(decoded.ok && decoded.ledger.history?.[0]).toMatchObject({ action: "allocated", subnet: "10.1.0.0/24" });
        expect(decoded.ok && decoded.ledger.history?.[0]).not.toHaveProperty("subnetIpv6");
    });
});

describe("views of a dual-stack event", () => {
    const event: HistoryEvent = {
        at: "2026-12-01T10:00:00.000Z",
        action: "allocated",
        clusterName: "worker-1",
        subnet: "10.1.0.0/24",
        subnetIpv6: "fd00:1::/64",
        from: "Available",
        to: "Allocated",
        actor: { via: "cli", command: "allocate blue" },
    };

    it("slice-ipam history lists both subnets, as show does", () => {
        expect(renderTable(HISTORY_COLUMNS, [event])).toContain(" 10.1.0.0/24,fd00:1::/64 ");
        const { subnetIpv6: _ipv6, ...single } = event;
        expect(renderTable(HISTORY_COLUMNS, [single])).toMatch(/ 10\.1\.0\.0\/24 +Available/);
    });

    it("a Kubernetes Event's note names both subnets", () => {
        expect(kubernetesEvents("ns", "blue", [event], "h")[0].note).toBe(
            "cluster worker-1: 10.1.0.0/24 and fd00:1::/64 Available → Allocated; by slice-ipam allocate blue",
        );
    });
});
