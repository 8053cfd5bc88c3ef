/**
 * The source's modules form no import cycle (type-only imports included): a
 * cycle makes load order matter and hides which module owns a concept. And
 * they import inward only, along the layers of docs/architecture.md, so each
 * layer can be read and tested without the ones built on it.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT, SOURCE, sourceFiles } from "./support/source-files";

function localImports(file: string): string[] {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), "utf8"), true, true);
    return importedFiles
        .map(({ fileName }) => fileName)
        .filter((name) => name.startsWith("."))
        .flatMap((name) => {
            const target = path.join(path.dirname(file), name);
            return [`${target}.ts`, path.join(target, "index.ts")].filter((candidate) => existsSync(path.join(ROOT, candidate))).slice(0, 1);
        });
}

function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const found: string[] = [];
    const visit = (file: string): void => {
        state.set(file, "open");
        stack.push(file);
        for (const next of graph.get(file) ?? []) {
            if (state.get(next) === "open") {
                found.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
            } else if (state.get(next) === undefined) {
                visit(next);
            }
        }
        stack.pop();
        state.set(file, "done");
    };
    for (const file of graph.keys()) {
        if (state.get(file) === undefined) {
            visit(file);
        }
    }
    return found;
}

describe("import graph", () => {
    const files = SOURCE.flatMap(sourceFiles);
    const graph = new Map(files.map((file) => [file, localImports(file)]));

    it("reads the source", () => {
        expect(files.length).toBeGreaterThan(50);
        expect(graph.get(path.join("provider", "core", "ledger.ts"))).toContain(path.join("provider", "core", "counters.ts"));
    });

    it("has no cycle", () => {
        expect(cycles(graph)).toEqual([]);
    });

    it("would report one", () => {
        const withCycle = new Map([...graph, [path.join("provider", "core", "counters.ts"), [path.join("provider", "core", "ledger.ts")]]]);
        const found = cycles(withCycle);
        expect(found.some((cycle) => cycle.includes("counters.ts → ") && cycle.includes("ledger.ts → "))).toBe(true);
    });
});

/** The layers, innermost first: a module imports from its own layer or an inner one, never an outer one. */
const LAYERS = ["provider/core", "provider/fs", "provider/store", "provider/service", "provider/handlers", "resources", "components", "native"];

function layerOf(file: string): number {
    return LAYERS.findIndex((layer) => file.split(path.sep).join("/").startsWith(`${layer}/`));
}

function outwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
    return [...graph].flatMap(([file, imports]) =>
        imports.filter((target) => layerOf(file) !== -1 && layerOf(target) > layerOf(file)).map((target) => `${file} → ${target}`),
    );
}

describe("layers", () => {
    const graph = new Map(SOURCE.flatMap(sourceFiles).map((file) => [file, localImports(file)]));

    it("import inward only: core ← fs ← store ← service ← handlers ← resources ← components ← native", () => {
        expect(LAYERS.every((layer) => [...graph.keys()].some((file) => layerOf(file) === LAYERS.indexOf(layer)))).toBe(true);
        expect(outwardImports(graph)).toEqual([]);
    });

    it("would report an outward import", () => {
        const resource = path.join("resources", "slice-ipam.ts");
        const outward = new Map([...graph, [resource, [...(graph.get(resource) ?? []), path.join("native", "schema.ts")]]]);
        expect(outwardImports(outward)).toEqual([`${resource} → ${path.join("native", "schema.ts")}`]);
    });
});
