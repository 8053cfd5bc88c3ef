import { describe, expect, it } from "vitest";
import { issueOf } from "../../provider/core/issues";

describe("issue messages", () => {
    it("keep the data and render the message from it", () => {
        const issue = issueOf({ code: "requested-subnet-taken", sliceName: "blue", clusterName: "b", subnet: "10.1.0.0/24", index: 0, heldBy: "a" });
        expect(issue).toEqual({
            code: "requested-subnet-taken",
            sliceName: "blue",
            clusterName: "b",
            subnet: "10.1.0.0/24",
            index: 0,
            heldBy: "a",
            message: 'pinned subnet 10.1.0.0/24 for cluster "b" is already held by cluster "a" in slice "blue"; pin another subnet or remove the pin',
        });
    });

    it("say when a reserved subnet frees up, or that planned subnets count as taken", () => {
        const base = {
            code: "no-available-subnets",
            sliceName: "s",
            clusterName: "c",
            sliceSubnet: "192.168.0.0/23",
            subnetSize: 24,
            totalSubnets: 2,
        } as const;
        expect(issueOf({ ...base, planned: false, reserved: { releasedSubnets: 1, firstReturnAt: "2026-01-02T00:00:00.000Z" } }).message).toBe(
            'slice "s" has no available subnets for cluster "c": all 2 /24 subnets of 192.168.0.0/23 are taken. 1 of them are Released ' +
                "and reserved for their clusters; the first returns to the pool at 2026-01-02T00:00:00.000Z. Remove unused clusters, " +
                "or create a new slice with a larger sliceSubnet.",
        );
        expect(issueOf({ ...base, planned: true }).message).toBe(
            'slice "s" has no available subnets for cluster "c": all 2 /24 subnets of 192.168.0.0/23 are taken or planned. ' +
                "Remove unused clusters, or create a new slice with a larger sliceSubnet.",
        );
    });

    it.each([
        [false, ". Choose a sliceSubnet that overlaps no other slice."],
        [true, '; nothing was copied for "red"'],
    ])("name the overlapping slice and what comes next (copying: %s)", (copying, next) => {
        const issue = issueOf({
            code: "slice-overlap",
            sliceName: "red",
            sliceSubnet: "10.2.128.0/17",
            otherSliceName: "blue",
            otherSliceSubnet: "10.2.0.0/16",
            store: "file store /s",
            copying,
        });
        expect(issue.message).toBe(`slice "red": sliceSubnet 10.2.128.0/17 overlaps sliceSubnet 10.2.0.0/16 of slice "blue" in file store /s${next}`);
    });

    it("refuse a slice name that is not a DNS-1123 label", () => {
        expect(issueOf({ code: "slice-name-invalid", sliceName: "../x" }).message).toBe('refusing slice name "../x": not a DNS-1123 label');
    });
});
