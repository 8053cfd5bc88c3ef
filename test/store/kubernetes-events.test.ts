import { describe, expect, it } from "vitest";
import { HistoryEvent } from "../../provider/core/history";
import { EVENTS_PER_COMMIT, kubernetesEvents, REPORTING_CONTROLLER } from "../../provider/store/kubernetes-events";

const actor = { via: "pulumi" as const, project: "platform", stack: "prod", user: "ci", host: "runner-1" };
const allocated = (cluster: string, i: number): HistoryEvent => ({
    at: "2026-12-01T10:00:00.123Z",
    action: "allocated",
    clusterName: cluster,
    subnet: `10.1.${i}.0/24`,
    from: "Available",
    to: "Allocated",
    actor,
});

describe("Kubernetes Events of a slice's changes", () => {
    it("are events.k8s.io/v1 Events regarding the SliceIpam, one per change, saying what changed and who changed it", () => {
        const [event] = kubernetesEvents("kubeslice-cisco", "blue", [allocated("worker-1", 0)], "runner-1");
        expect(event).toMatchObject({
            apiVersion: "events.k8s.io/v1",
            kind: "Event",
            metadata: { namespace: "kubeslice-cisco", name: expect.stringMatching(/^blue\.[0-9a-f]{16}$/) },
            eventTime: "2026-12-01T10:00:00.123000Z",
            reportingController: REPORTING_CONTROLLER,
            reportingInstance: "runner-1",
            reason: "Allocated",
            type: "Normal",
            regarding: { apiVersion: "controller.kubeslice.io/v1alpha1", kind: "SliceIpam", name: "blue", namespace: "kubeslice-cisco" },
            note: "cluster worker-1: 10.1.0.0/24 Available → Allocated; by pulumi platform/prod (ci@runner-1)",
        });
    });

    it("warn when a subnet is reclaimed before its grace period ends", () => {
        const early: HistoryEvent = { ...allocated("w", 0), action: "reclaimed-early", from: "Released", to: "Available" };
        expect(kubernetesEvents("ns", "blue", [early], "h")[0]).toMatchObject({ reason: "ReclaimedEarly", type: "Warning" });
    });

    it(`are at most ${EVENTS_PER_COMMIT} for one commit, the rest summed up in the last`, () => {
        const events = Array.from({ length: 300 }, (_, i) => allocated(`w-${i}`, i % 256));
        const objects = kubernetesEvents("ns", "blue", events, "h");
        expect(objects).toHaveLength(EVENTS_PER_COMMIT);
        expect(objects.at(-1)).toMatchObject({
            reason: "Changes",
            note: "281 more changes in this commit (281 allocated); slice-ipam history blue lists each",
        });
        expect(new Set(objects.map((object) => object.metadata.name)).size).toBe(EVENTS_PER_COMMIT);
    });
});
