import { describe, expect, it } from "vitest";
import { issuesByProperty, sliceSpecSchema } from "../../provider/core/validation";

function problems(input: Record<string, unknown>) {
    const parsed = sliceSpecSchema.safeParse(input);
    return parsed.success ? [] : issuesByProperty(parsed.error);
}

const valid = { sliceName: "blue", sliceSubnet: "10.2.0.0/16" };

describe("slice settings", () => {
    it("applies the defaults", () => {
        expect(sliceSpecSchema.parse(valid)).toEqual({
            sliceName: "blue",
            sliceSubnet: "10.2.0.0/16",
            subnetSize: 24,
            gracePeriodSeconds: 86_400,
            maxClusters: 4_096,
        });
    });

    // Every invalid configuration of the guide, and the rules it lists.
    it.each([
        [{ sliceSubnet: "8.8.8.0/24" }, "sliceSubnet", 'sliceSubnet "8.8.8.0/24" is not a private IP range'],
        [{ sliceSubnet: "10.1.0.0/16", subnetSize: 16 }, "subnetSize", "subnetSize 16 must be longer than the sliceSubnet prefix /16"],
        [{ sliceSubnet: "192.168.1.0/28", subnetSize: 24 }, "subnetSize", "must be longer than the sliceSubnet prefix /28"],
        [{ sliceSubnet: "not-a-cidr" }, "sliceSubnet", "is not valid CIDR notation"],
        [{ sliceSubnet: "10.1.0.1/16" }, "sliceSubnet", 'has host bits set; did you mean "10.1.0.0/16"?'],
        [{ sliceSubnet: "10.0.0.0/7" }, "sliceSubnet", "is not a private IP range"],
        [{ sliceSubnet: "10.1.0.0/29" }, "sliceSubnet", "the prefix must be between /8 and /28"],
        [{ subnetSize: 15 }, "subnetSize", "subnetSize must be a whole number between 16 and 30 (IPv4) or 48 and 120 (IPv6); got 15"],
        [
            { subnetSize: 64 },
            "subnetSize",
            'subnetSize must be a whole number between 16 and 30 for an IPv4 sliceSubnet such as "10.2.0.0/16"; got 64 (e.g. 24)',
        ],
        [{ subnetSize: 31 }, "subnetSize", "got 31"],
        [{ subnetSize: 24.5 }, "subnetSize", "got 24.5"],
        [{ subnetSize: "24" }, "subnetSize", "subnetSize must be a whole number between 16 and 30"],
        [{ sliceName: "../x" }, "sliceName", 'sliceName "../x" is not a valid DNS-1123 label'],
        [{ sliceName: "Blue" }, "sliceName", "is not a valid DNS-1123 label"],
        [{ sliceName: "a".repeat(64) }, "sliceName", "is not a valid DNS-1123 label"],
        [{ maxClusters: 0 }, "maxClusters", "between 1 and 4096"],
        [{ maxClusters: 4097 }, "maxClusters", "between 1 and 4096"],
        [{ gracePeriodSeconds: -1 }, "gracePeriodSeconds", "whole number of seconds between 0 and 31536000"],
    ])("rejects %j on %s", (override, property, message) => {
        const found = problems({ ...valid, ...override });
        expect(found.map((issue) => issue.property)).toEqual([property]);
        expect(found[0].message).toContain(message);
    });

    it("reports every bad property at once", () => {
        const found = problems({ sliceName: "../x", sliceSubnet: "8.8.8.0/24", subnetSize: 40, maxClusters: 0 });
        expect(found.map((issue) => issue.property).sort()).toEqual(["maxClusters", "sliceName", "sliceSubnet", "subnetSize"]);
    });

    it.each([
        ["10.0.0.0/8", 16],
        ["172.16.0.0/12", 22],
        ["192.168.0.0/28", 30],
        ["10.1.0.0/16", 17],
    ])("accepts %s with /%i", (sliceSubnet, subnetSize) => {
        expect(problems({ sliceName: "s", sliceSubnet, subnetSize })).toEqual([]);
    });
});
