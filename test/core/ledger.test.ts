import { describe, expect, it } from "vitest";
import { allocate, capacity, ledgerProblems, markInUse, newLedger, reclaim, release, SliceLedger, withSettings } from "../../provider/core/ledger";
import { sliceSpecSchema } from "../../provider/core/validation";
import { at, ledgerFor, mustAllocate } from "./ledger-fixtures";

describe("allocate", () => {
    it("hands out the guide's blue slice in order", () => {
        let ledger = ledgerFor({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" });
        const first = mustAllocate(ledger, "worker-1", at(0));
        ledger = first.ledger;
        const second = mustAllocate(ledger, "worker-2", at(1));
        expect(first.value.allocation).toMatchObject({ subnet: "10.2.0.0/24", index: 0, status: "Allocated" });
        expect(second.value.allocation).toMatchObject({ subnet: "10.2.1.0/24", index: 1, status: "Allocated" });
        expect(first.value.outcome).toBe("allocated");
    });

    it("keeps slices independent (guide test 2)", () => {
        const blue = mustAllocate(ledgerFor({ sliceName: "blue", sliceSubnet: "10.2.0.0/16" }), "worker-1", at(0));
        const red = mustAllocate(ledgerFor({ sliceName: "red", sliceSubnet: "10.3.0.0/16" }), "worker-3", at(0));
        expect(blue.value.allocation.subnet).toBe("10.2.0.0/24");
        expect(red.value.allocation.subnet).toBe("10.3.0.0/24");
    });

    it("returns the same subnet to a cluster that already holds one, without writing", () => {
        const once = mustAllocate(ledgerFor(), "a", at(0));
        const twice = mustAllocate(once.ledger, "a", at(5));
        expect(twice.value.outcome).toBe("existing");
        expect(twice.ledger).toBe(once.ledger);
        expect(twice.value.allocation).toEqual(once.value.allocation);
    });

    it("gives a rejoining cluster its released subnet within the grace period (guide test 3)", () => {
        let ledger = mustAllocate(ledgerFor(), "cluster-1", at(0)).ledger;
        ledger = mustAllocate(ledger, "cluster-2", at(0)).ledger;
        const released = release(ledger, "cluster-1", at(60));
        expect(released.value.allocation).toMatchObject({ status: "Released", releasedAt: at(60).toISOString() });
        ledger = released.ledger;
        // Another cluster must not take the reserved subnet.
        const other = mustAllocate(ledger, "cluster-3", at(120));
        expect(other.value.allocation.subnet).toBe("10.1.2.0/24");
        const back = mustAllocate(other.ledger, "cluster-1", at(360));
        expect(back.value.outcome).toBe("reused");
        expect(back.value.previouslyReleasedAt).toBe(at(60).toISOString());
        expect(back.value.allocation).toMatchObject({ subnet: "10.1.0.0/24", status: "Allocated", allocatedAt: at(0).toISOString() });
        expect(back.value.allocation.releasedAt).toBeUndefined();
    });

    it("reclaims a released subnet after the grace period and fills the hole first", () => {
        let ledger = ledgerFor({ gracePeriodSeconds: 3600 });
        for (const cluster of ["a", "b", "c"]) {
            ledger = mustAllocate(ledger, cluster, at(0)).ledger;
        }
        ledger = release(ledger, "a", at(10)).ledger;
        const beforeExpiry = mustAllocate(ledger, "d", at(10 + 3599));
        expect(beforeExpiry.value.allocation.subnet).toBe("10.1.3.0/24");
        const afterExpiry = mustAllocate(beforeExpiry.ledger, "e", at(10 + 3600));
        expect(afterExpiry.value.allocation.subnet).toBe("10.1.0.0/24");
        expect(afterExpiry.value.reclaimed.map((entry) => entry.clusterName)).toEqual(["a"]);
        // A cluster whose release expired gets the lowest free subnet, not necessarily its old one.
        const rejoin = mustAllocate(afterExpiry.ledger, "a", at(10 + 3601));
        expect(rejoin.value.outcome).toBe("allocated");
        expect(rejoin.value.allocation.subnet).toBe("10.1.4.0/24");
    });

    it("fails the 17th cluster of 192.168.0.0/20 with /24s, naming slice and capacity", () => {
        let ledger = ledgerFor({ sliceName: "small", sliceSubnet: "192.168.0.0/20" });
        for (let i = 0; i < 16; i++) {
            ledger = mustAllocate(ledger, `c-${i}`, at(i)).ledger;
        }
        expect(ledger.allocations.at(-1)?.subnet).toBe("192.168.15.0/24");
        const result = allocate(ledger, "c-16", at(100));
        expect(result.ok).toBe(false);
        if (!result.ok) {
            expect(result.issue.code).toBe("no-available-subnets");
            expect(result.issue.message).toContain("no available subnets");
            expect(result.issue.message).toContain('slice "small"');
            expect(result.issue.message).toContain('cluster "c-16"');
            expect(result.issue.message).toContain("all 16 /24 subnets of 192.168.0.0/20");
        }
    });

    it("tells when released subnets will free up in a full pool", () => {
        let ledger = ledgerFor({ sliceSubnet: "192.168.0.0/23", gracePeriodSeconds: 60 });
        ledger = mustAllocate(ledger, "a", at(0)).ledger;
        ledger = mustAllocate(ledger, "b", at(0)).ledger;
        ledger = release(ledger, "a", at(30)).ledger;
        const result = allocate(ledger, "c", at(31));
        expect(!result.ok && result.issue.message).toContain(`the first returns to the pool at ${at(90).toISOString()}`);
    });

    it("enforces maxClusters on active allocations while the pool has room", () => {
        let ledger = ledgerFor({ maxClusters: 2 });
        ledger = mustAllocate(ledger, "a", at(0)).ledger;
        ledger = mustAllocate(ledger, "b", at(0)).ledger;
        const third = allocate(ledger, "c", at(1));
        expect(!third.ok && third.issue.code).toBe("max-clusters-reached");
        expect(!third.ok && third.issue.message).toContain('slice "blue" already has 2 active clusters');
        ledger = release(ledger, "a", at(2)).ledger;
        expect(mustAllocate(ledger, "c", at(3)).value.allocation.subnet).toBe("10.1.2.0/24");
        expect(capacity(withSettings(ledger, { maxClusters: 2, gracePeriodSeconds: 86_400 }), at(3)).availableSubnets).toBe(1);
    });
});

describe("release, markInUse, reclaim", () => {
    it("release is idempotent and keeps the first releasedAt", () => {
        const ledger = mustAllocate(ledgerFor(), "a", at(0)).ledger;
        const first = release(ledger, "a", at(10));
        const again = release(first.ledger, "a", at(20));
        expect(again.value.changed).toBe(false);
        expect(again.value.allocation?.releasedAt).toBe(at(10).toISOString());
        const absent = release(ledger, "nobody", at(10));
        expect(absent.ledger).toBe(ledger);
    });

    it("moves Allocated → InUse → Released", () => {
        let ledger = mustAllocate(ledgerFor(), "a", at(0)).ledger;
        const used = markInUse(ledger, "a");
        expect(used.ok && used.value.allocation.status).toBe("InUse");
        ledger = used.ok ? used.ledger : ledger;
        expect(mustAllocate(ledger, "a", at(1)).value.outcome).toBe("existing");
        const released = release(ledger, "a", at(2));
        expect(released.value.allocation?.status).toBe("Released");
        const tooLate = markInUse(released.ledger, "a");
        expect(!tooLate.ok && tooLate.issue.code).toBe("cluster-released");
        const unknown = markInUse(ledger, "zz");
        expect(!unknown.ok && unknown.issue.code).toBe("unknown-cluster");
    });

    it("reclaim leaves entries in grace alone", () => {
        let ledger = ledgerFor({ gracePeriodSeconds: 100 });
        ledger = mustAllocate(ledger, "a", at(0)).ledger;
        ledger = mustAllocate(ledger, "b", at(0)).ledger;
        ledger = release(ledger, "a", at(0)).ledger;
        ledger = release(ledger, "b", at(50)).ledger;
        const result = reclaim(ledger, at(100));
        expect(result.reclaimed.map((e) => e.clusterName)).toEqual(["a"]);
        expect(result.ledger.allocations.map((e) => e.clusterName)).toEqual(["b"]);
    });

    it("a zero grace period reclaims at once", () => {
        let ledger = ledgerFor({ gracePeriodSeconds: 0 });
        ledger = mustAllocate(ledger, "a", at(0)).ledger;
        ledger = release(ledger, "a", at(1)).ledger;
        expect(mustAllocate(ledger, "b", at(1)).value.allocation.subnet).toBe("10.1.0.0/24");
    });
});

describe("capacity and structure", () => {
    it("counts like the guide's status block", () => {
        let ledger = ledgerFor();
        for (const c of ["cluster-1", "cluster-2", "cluster-3"]) {
            ledger = mustAllocate(ledger, c, at(0)).ledger;
        }
        ledger = release(ledger, "cluster-2", at(1)).ledger;
        expect(capacity(ledger, at(2))).toEqual({
            totalSubnets: 256,
            activeSubnets: 2,
            releasedSubnets: 1,
            reservedSubnets: 0,
            reservedHeld: 0,
            availableSubnets: 253,
            utilization: 2 / 256,
            exact: { totalSubnets: "256", reservedSubnets: "0", usableSubnets: "256" },
        });
    });

    it("finds structural problems in a hand-edited ledger", () => {
        const ledger = newLedger(sliceSpecSchema.parse({ sliceName: "x", sliceSubnet: "10.1.0.0/16" }), at(0));
        const broken: SliceLedger = {
            ...ledger,
            allocations: [
                { clusterName: "a", subnet: "10.1.0.0/24", index: 0, status: "Allocated", allocatedAt: at(0).toISOString() },
                { clusterName: "a", subnet: "10.1.9.0/24", index: 0, status: "Released", allocatedAt: at(0).toISOString() },
            ],
        };
        const problems = ledgerProblems(broken);
        expect(problems).toContain("allocations are not in strictly increasing index order at index 0");
        expect(problems).toContain('cluster "a" has more than one allocation');
        expect(problems).toContain('cluster "a" has subnet 10.1.9.0/24, but index 0 is 10.1.0.0/24');
        expect(problems).toContain('cluster "a" is Released without releasedAt');
    });
});
