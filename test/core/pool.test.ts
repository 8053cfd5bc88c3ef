import { describe, expect, it } from "vitest";
import { cidrFromString } from "../../provider/core/cidr";
import { indexOfSubnet, Pool, subnetTextAt, totalSubnets } from "../../provider/core/pool";

const pool = (sliceSubnet: string, subnetSize: number): Pool => ({ sliceSubnet: cidrFromString(sliceSubnet), subnetSize });

describe("pool arithmetic", () => {
    // The guide's capacity table.
    it.each([
        ["10.1.0.0/16", 24, 256],
        ["192.168.0.0/20", 24, 16],
        ["10.0.0.0/8", 16, 256],
        ["10.1.0.0/16", 26, 1024],
        ["172.16.0.0/12", 22, 1024],
        ["10.0.0.0/8", 30, 4_194_304],
    ])("%s with /%i holds %i subnets", (slice, size, total) => {
        expect(totalSubnets(pool(slice, size))).toBe(total);
    });

    it("numbers subnets in address order", () => {
        const p = pool("10.1.0.0/16", 24);
        expect(subnetTextAt(p, 0)).toBe("10.1.0.0/24");
        expect(subnetTextAt(p, 1)).toBe("10.1.1.0/24");
        expect(subnetTextAt(p, 255)).toBe("10.1.255.0/24");
        expect(() => subnetTextAt(p, 256)).toThrow(RangeError);
    });

    it("addresses the last of 4,194,304 blocks without enumerating", () => {
        expect(subnetTextAt(pool("10.0.0.0/8", 30), 4_194_303)).toBe("10.255.255.252/30");
    });

    it("finds a subnet's index and rejects blocks that are not pool members", () => {
        const p = pool("10.1.0.0/20", 20 + 4);
        expect(indexOfSubnet(p, "10.1.3.0/24")).toEqual({ ok: true, index: 3 });
        expect(indexOfSubnet(p, "10.1.16.0/24")).toEqual({ ok: false, code: "outside-pool" });
        expect(indexOfSubnet(p, "10.1.0.0/25")).toEqual({ ok: false, code: "wrong-size" });
        expect(indexOfSubnet(p, "10.1.0.1/24")).toEqual({ ok: false, code: "not-cidr" });
    });
});
