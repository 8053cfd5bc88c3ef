/**
 * The map's layout (cli/map-layout.ts), its letters (cli/map-legend.ts) and
 * its text (cli/map-text.ts), on ledgers whose every state is known.
 */
import { describe, expect, it } from "vitest";
import { allocate, capacity, release, SliceLedger } from "../../provider/core/ledger";
import { cellSize, columnsFor, sliceMap, TERMINAL_MAX_CELLS } from "../../cli/map-layout";
import { glyphOf } from "../../cli/map-legend";
import { colourEnabled, renderMapText } from "../../cli/map-text";
import { emptyLedger, KNOWN_GLYPHS, KNOWN_STATES, knownLedger, MAP_NOW } from "../support/map-ledgers";

const hoursBefore = (hours: number) => new Date(MAP_NOW.getTime() - hours * 3_600_000);

function place(ledger: SliceLedger, cluster: string, index: number, at = hoursBefore(5)): SliceLedger {
    const result = allocate(ledger, cluster, at, { requestedIndex: index });
    if (!result.ok) {
        throw new Error(result.issue.message);
    }
    return result.ledger;
}

const glyphs = (ledger: SliceLedger, maxCells = TERMINAL_MAX_CELLS) => sliceMap(ledger, MAP_NOW, { maxCells }).cells.map(glyphOf).join("");

describe("one cell per subnet", () => {
    const map = sliceMap(knownLedger(), MAP_NOW, { maxCells: TERMINAL_MAX_CELLS });

    it("draws each state with its letter: InUse U, Allocated A, Released R, expired E, free .", () => {
        expect(map.cells.map(glyphOf).join("")).toBe(KNOWN_GLYPHS);
        expect(map.cells.map((cell) => cell.state)).toEqual(KNOWN_STATES);
        expect(map.subnetsPerCell).toBe(1);
        expect(map.cells.every((cell) => cell.uniform && cell.length === 1)).toBe(true);
    });

    it("labels each cell with its subnet and carries the entry's cluster and dates", () => {
        expect(map.cells[2]).toMatchObject({ firstSubnet: "10.9.2.0/24", lastSubnet: "10.9.2.0/24" });
        expect(map.cells[2].entries).toEqual([
            expect.objectContaining({
                clusterName: "c-2",
                state: "Released",
                releasedAt: "2026-03-01T11:50:00.000Z",
                graceEndsAt: "2026-03-01T12:50:00.000Z",
            }),
        ]);
        expect(map.cells[4].entries).toEqual([]);
    });

    it("counts the states, and takes the capacity figures from the core", () => {
        expect(map.counts).toEqual({ InUse: 2, Allocated: 3, Released: 1, expired: 1, free: 9 });
        expect(map.capacity).toEqual(capacity(knownLedger(), MAP_NOW));
        expect(map.columns).toBe(4);
    });
});

describe("blocks of subnets", () => {
    it("aggregate into aligned blocks, showing the most common recorded state, in lower case when mixed", () => {
        // Blocks of 4: [U A R E] [. A U .] [. . . .] [A . . .]; InUse wins a tie.
        const map = sliceMap(knownLedger(), MAP_NOW, { maxCells: 4 });
        expect(map.subnetsPerCell).toBe(4);
        expect(map.cells.map(glyphOf).join("")).toBe("uu.a");
        expect(map.cells[0].counts).toEqual({ InUse: 1, Allocated: 1, Released: 1, expired: 1, free: 0 });
        expect(map.cells[1].counts).toEqual({ InUse: 1, Allocated: 1, Released: 0, expired: 0, free: 2 });
        expect(map.cells[3]).toMatchObject({ firstSubnet: "10.9.12.0/24", lastSubnet: "10.9.15.0/24", length: 4 });
        expect(map.cells[3].entries.map((entry) => entry.clusterName)).toEqual(["c-12"]);
    });

    it("draws a block entirely in one state in upper case", () => {
        let ledger = emptyLedger({ sliceName: "full", sliceSubnet: "10.9.0.0/20", subnetSize: 24 });
        for (let i = 0; i < 5; i++) {
            ledger = place(ledger, `c-${i}`, i);
        }
        expect(glyphs(ledger, 4)).toBe("Aa..");
    });

    it("sizes blocks as the smallest power of two that fits, and lays them out near square", () => {
        expect(cellSize(16, 1024)).toBe(1);
        expect(cellSize(16_384, 4096)).toBe(4);
        expect(cellSize(4_194_304, 1024)).toBe(4096);
        expect([1, 2, 16, 256, 1024, 4096, 65_536].map(columnsFor)).toEqual([1, 2, 4, 16, 32, 64, 64]);
    });

    it("lays out a /8 of /30s (4,194,304 subnets) without enumerating it", () => {
        let ledger = emptyLedger({ sliceName: "huge", sliceSubnet: "10.0.0.0/8", subnetSize: 30 });
        ledger = place(place(ledger, "a", 0), "b", 4_194_303);
        const map = sliceMap(ledger, MAP_NOW, { maxCells: TERMINAL_MAX_CELLS });
        expect(map.cells).toHaveLength(1024);
        expect(map.cells[1023]).toMatchObject({ lastSubnet: "10.255.255.252/30", state: "Allocated", uniform: false });
        expect(map.counts.free).toBe(4_194_302);
        expect(map.largestFreeRun).toMatchObject({ firstIndex: 1, length: 4_194_302 });
    });
});

describe("the largest free run", () => {
    it("is the longest run of subnets a cluster could take, lowest first", () => {
        expect(sliceMap(knownLedger(), MAP_NOW, { maxCells: 16 }).largestFreeRun).toEqual({
            firstIndex: 7,
            length: 5,
            firstSubnet: "10.9.7.0/24",
            lastSubnet: "10.9.11.0/24",
        });
    });

    it("counts expired subnets as free: the next allocation reclaims them", () => {
        let ledger = emptyLedger({ sliceName: "gaps", sliceSubnet: "10.9.0.0/21", subnetSize: 24 });
        ledger = place(place(place(ledger, "a", 0), "b", 3), "c", 6);
        ledger = release(ledger, "b", hoursBefore(2)).ledger;
        expect(sliceMap(ledger, MAP_NOW, { maxCells: 8 }).largestFreeRun).toMatchObject({ firstIndex: 1, length: 5 });
        // Within its grace period the same subnet splits the run.
        expect(sliceMap(ledger, hoursBefore(1.5), { maxCells: 8 }).largestFreeRun).toMatchObject({ firstIndex: 1, length: 2 });
    });

    it("is the whole pool when nothing is held, and none when everything is", () => {
        let ledger = emptyLedger({ sliceName: "tiny", sliceSubnet: "10.9.0.0/23", subnetSize: 24 });
        expect(sliceMap(ledger, MAP_NOW, { maxCells: 2 }).largestFreeRun).toMatchObject({ firstIndex: 0, length: 2 });
        ledger = place(place(ledger, "a", 0), "b", 1);
        expect(sliceMap(ledger, MAP_NOW, { maxCells: 2 }).largestFreeRun).toBeUndefined();
        expect(renderMapText(sliceMap(ledger, MAP_NOW, { maxCells: 2 }), false)).toContain("largest free run: none (every subnet is held)");
    });
});

describe("the terminal map", () => {
    const map = sliceMap(knownLedger(), MAP_NOW, { maxCells: TERMINAL_MAX_CELLS });

    it("is plain characters without colour", () => {
        expect(renderMapText(map, false)).toBe(
            [
                "slice known: 10.9.0.0/20 in /24 subnets, 16 subnets, one cell per subnet",
                "",
                "10.9.0.0/24   UARE",
                "10.9.4.0/24   .AU.",
                "10.9.8.0/24   ....",
                "10.9.12.0/24  A...",
                "",
                "legend (state: subnets):",
                "  U  InUse: 2 (allocated, and its worker reports connected app pods)",
                "  A  Allocated: 3 (allocated to a cluster)",
                "  R  Released: 1 (reserved for the cluster that left, until its grace period ends)",
                "  E  Released, grace over: 1 (still recorded; the next allocation returns it to the pool)",
                "  .  free: 9 (available)",
                "",
                "active: 5 of 16 subnets (utilization 31.3%)",
                "released, reserved: 1",
                "available: 10 (clusters that can join now)",
                "largest free run: 10.9.7.0/24 – 10.9.11.0/24 (5 subnets)",
                "",
            ].join("\n"),
        );
        expect(renderMapText(map, false)).not.toContain("\u001b");
    });

    it("colours each letter by state, and only adds colour around the same letters", () => {
        const coloured = renderMapText(map, true);
        expect(coloured).toContain("\u001b[32mU\u001b[0m\u001b[34mA\u001b[0m\u001b[33mR\u001b[0m\u001b[35mE\u001b[0m");
        const sgr = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`, "g");
        expect(coloured.replace(sgr, "")).toBe(renderMapText(map, false));
    });

    it("says the block size and explains lower case when cells are blocks", () => {
        const text = renderMapText(sliceMap(knownLedger(), MAP_NOW, { maxCells: 4 }), false);
        expect(text).toContain("one cell per 4 subnets (a /22 of /24s)");
        expect(text).toContain("10.9.0.0/24  uu");
        expect(text).toContain("lower case: a block only partly in that state");
    });

    it.each([
        ["never", true, { FORCE_COLOR: "1" }, false],
        ["always", false, { NO_COLOR: "1" }, true],
        ["auto", true, {}, true],
        ["auto", false, {}, false],
        ["auto", true, { NO_COLOR: "1" }, false],
        ["auto", true, { NO_COLOR: "" }, true],
        ["auto", false, { FORCE_COLOR: "1" }, true],
        ["auto", false, { FORCE_COLOR: "0" }, false],
        ["auto", true, { NO_COLOR: "1", FORCE_COLOR: "1" }, false],
    ] as const)("--color %s, terminal %s, env %j: colour %s", (when, terminal, env, expected) => {
        expect(colourEnabled(when, terminal, env)).toBe(expected);
    });
});
