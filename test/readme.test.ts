import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cidrFromString } from "../provider/core/cidr";
import { totalSubnets } from "../provider/core/pool";
import { DEFAULT_MAX_CLUSTERS } from "../provider/core/validation";

const README = readFileSync(path.resolve(__dirname, "../README.md"), "utf8");

describe("README capacity table", () => {
    const table = README.split("<!-- capacity-table")[1]?.split("<!-- /capacity-table -->")[0] ?? "";
    const rows = table
        .split("\n")
        .filter((line) => /^\| \d/.test(line))
        .map((line) =>
            line
                .split("|")
                .slice(1, -1)
                .map((cell) => cell.trim()),
        );

    it("has rows", () => {
        expect(rows.length).toBeGreaterThanOrEqual(5);
    });

    it.each(rows)("%s with /%s is computed by the allocator's arithmetic", (sliceSubnet, size, subnets, perCluster) => {
        const subnetSize = Number(size);
        const total = totalSubnets({ sliceSubnet: cidrFromString(sliceSubnet), subnetSize });
        const capped = total > DEFAULT_MAX_CLUSTERS ? ` (${DEFAULT_MAX_CLUSTERS.toLocaleString("en-US")} active at most)` : "";
        expect(subnets).toBe(`${total.toLocaleString("en-US")}${capped}`);
        expect(perCluster).toBe((2 ** (32 - subnetSize)).toLocaleString("en-US"));
    });
});
