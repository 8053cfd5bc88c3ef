/**
 * The README and the pages of docs/ against the code and against each other:
 * tables that restate the code's figures or lists, links that must land, and
 * the front door's promises (short; the commands CI runs written out).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../cli/errors";
import { cidrFromString } from "../provider/core/cidr";
import { ERROR_CODES } from "../provider/core/error-codes";
import { indexableSubnets, poolSize, totalSubnets } from "../provider/core/pool";
import { DEFAULT_MAX_CLUSTERS } from "../provider/core/validation";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");
const README = read("README.md");
const DOCS = readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`);

/** The cells of each row of the markdown table that starts with `header`. */
function tableRows(text: string, header: string): string[][] {
    const start = text.indexOf(header);
    expect(start, `a table headed ${header}`).toBeGreaterThanOrEqual(0);
    const lines = text.slice(start).split("\n");
    const end = lines.findIndex((line) => !line.startsWith("|"));
    return lines.slice(2, end).map((line) => line.split(" | ").map((cell) => cell.replace(/^\| ?| ?\|$/g, "").trim()));
}

/** GitHub's anchor for a heading. */
function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/ /g, "-");
}

function anchorsIn(text: string): Set<string> {
    const anchors = new Set<string>();
    let fenced = false;
    for (const line of text.split("\n")) {
        if (line.startsWith("```")) {
            fenced = !fenced;
        }
        const heading = /^#{1,6} (.*)$/.exec(line);
        if (heading !== null && !fenced) {
            anchors.add(anchorOf(heading[1]));
        }
    }
    return anchors;
}

describe("capacity table (docs/resources.md)", () => {
    const text = read("docs/resources.md");
    const table = text.split("<!-- capacity-table")[1]?.split("<!-- /capacity-table -->")[0] ?? "";
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

describe("IPv6 capacity table (docs/resources.md)", () => {
    const text = read("docs/resources.md");
    const table = text.split("<!-- ipv6-capacity-table")[1]?.split("<!-- /ipv6-capacity-table -->")[0] ?? "";
    const rows = table
        .split("\n")
        .filter((line) => /^\| f/.test(line))
        .map((line) =>
            line
                .split("|")
                .slice(1, -1)
                .map((cell) => cell.trim()),
        );

    it("has rows", () => {
        expect(rows.length).toBeGreaterThanOrEqual(4);
    });

    it.each(rows)("%s with /%s is computed by the allocator's arithmetic", (sliceSubnet, size, subnets, indexable, perCluster) => {
        const pool = { sliceSubnet: cidrFromString(sliceSubnet), subnetSize: Number(size) };
        const total = poolSize(pool);
        const capped = total > BigInt(DEFAULT_MAX_CLUSTERS) ? ` (${DEFAULT_MAX_CLUSTERS.toLocaleString("en-US")} active at most)` : "";
        expect(subnets).toBe(`${total.toLocaleString("en-US")}${capped}`);
        const whole = BigInt(indexableSubnets(pool)) === total;
        expect(indexable).toBe(whole ? "all" : `first ${indexableSubnets(pool).toLocaleString("en-US")}`);
        expect(perCluster).toBe((1n << BigInt(128 - Number(size))).toLocaleString("en-US"));
    });
});

describe("error-code table (docs/operations.md)", () => {
    const rows = tableRows(read("docs/operations.md"), "| code | exit code | when |");
    const documented = rows.map(([code, exit, when]) => [code.replace(/^`|`$/g, ""), Number(exit), when] as const);

    it("is ERROR_CODES, row for row: every code, its exit code and its meaning, in the table's order", () => {
        const expected = Object.entries(ERROR_CODES).map(([code, entry]) => [code, EXIT[entry.exit], entry.meaning] as const);
        expect(documented).toEqual(expected);
    });

    it("gives each code an exit code the exit-code table explains", () => {
        const exitCodes = tableRows(read("docs/operations.md"), "| exit code | meaning |").map(([code]) => Number(code));
        for (const [code, exit] of documented) {
            expect(exitCodes, code).toContain(exit);
        }
    });
});

describe("the README as a front door", () => {
    it("is at most about 300 lines", () => {
        expect(README.split("\n").length).toBeLessThanOrEqual(300);
    });

    it("writes out the test commands CI runs", () => {
        const ci = read(".ci/run");
        for (const command of ["npm test", "npm run test:e2e"]) {
            expect(ci).toMatch(new RegExp(`^${command}$`, "m"));
            expect(README).toContain(`\`${command}\``);
        }
        expect(README).toContain("source test/pulumi-cli/env.sh && npm run test:e2e");
    });

    it("links every page of docs/", () => {
        for (const page of DOCS) {
            expect(README).toContain(`](${page}`);
        }
    });
});

describe("links between the README and docs/", () => {
    const files = ["README.md", ...DOCS];
    const anchors = new Map(files.map((file) => [file, anchorsIn(read(file))]));
    const links = files.flatMap((file) =>
        [...read(file).matchAll(/\]\(([^)\s]+)\)/g)]
            .map((match) => match[1])
            .filter((target) => !/^[a-z]+:/.test(target))
            .map((target) => [file, target] as const),
    );

    it("finds links", () => {
        expect(links.length).toBeGreaterThan(40);
    });

    it.each(links)("%s → %s lands", (file, target) => {
        const [pathPart, anchor] = target.split("#");
        const destination = pathPart === "" ? file : path.normalize(path.join(path.dirname(file), pathPart));
        expect(existsSync(path.join(ROOT, destination)), `${destination} exists`).toBe(true);
        if (anchor !== undefined) {
            expect(anchors.get(destination), `${destination} is a page of the documentation`).toBeDefined();
            expect([...(anchors.get(destination) ?? [])]).toContain(anchor);
        }
    });
});
