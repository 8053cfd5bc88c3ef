import { describe, expect, it } from "vitest";
import { humanDuration, percent, renderDocument, renderTable, shortTimestamp, thousands } from "../../cli/format";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe("humanDuration (kubectl's ages)", () => {
    it.each([
        [-5 * s, "<invalid>"],
        [-500, "0s"],
        [0, "0s"],
        [119 * s, "119s"],
        [2 * m, "2m"],
        [5 * m + 30 * s, "5m30s"],
        [10 * m + 30 * s, "10m"],
        [179 * m, "179m"],
        [3 * h, "3h"],
        [3 * h + 20 * m, "3h20m"],
        [8 * h + 20 * m, "8h"],
        [47 * h, "47h"],
        [2 * d, "2d"],
        [3 * d + 4 * h, "3d4h"],
        [8 * d + 4 * h, "8d"],
        [729 * d, "729d"],
        [2 * 365 * d + 30 * d, "2y30d"],
        [9 * 365 * d, "9y"],
    ])("%i ms is %s", (ms, text) => {
        expect(humanDuration(ms)).toBe(text);
    });
});

describe("renderTable", () => {
    it("aligns columns three spaces apart with no trailing spaces", () => {
        const rows = [
            { a: "my-slice", b: "10.1.0.0/16", c: "" },
            { a: "x", b: "10.2.0.0/16", c: "5m" },
        ];
        const table = renderTable(
            [
                { header: "NAME", cell: (r: (typeof rows)[number]) => r.a },
                { header: "SLICE SUBNET", cell: (r: (typeof rows)[number]) => r.b },
                { header: "AGE", cell: (r: (typeof rows)[number]) => r.c },
            ],
            rows,
        );
        expect(table).toBe(["NAME       SLICE SUBNET   AGE", "my-slice   10.1.0.0/16", "x          10.2.0.0/16    5m", ""].join("\n"));
    });

    it("prints the header alone for no rows", () => {
        expect(renderTable([{ header: "NAME", cell: (r: string) => r }], [])).toBe("NAME\n");
    });
});

describe("small formats", () => {
    it.each([
        [2 / 256, "0.8%"],
        [0, "0.0%"],
        [1 - 7680 / 655360, "98.8%"],
        [1, "100.0%"],
    ])("percent(%f) is %s", (ratio, text) => {
        expect(percent(ratio)).toBe(text);
    });

    it("writes thousands and timestamps as the guide does", () => {
        expect(thousands(655360)).toBe("655,360");
        expect(shortTimestamp("2025-11-19T10:00:00.000Z")).toBe("2025-11-19T10:00:00Z");
    });

    it("renders documents as JSON or YAML", () => {
        expect(renderDocument("json", { a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
        expect(renderDocument("yaml", { a: [1] })).toBe("a:\n  - 1\n");
    });
});
