/**
 * Errors as data across the source: every error raised on purpose is a
 * KubesliceIpamError whose `code` is in the one table (ERROR_CODES), every
 * code of the table is raised somewhere, and the CLI's exit code follows the
 * table. Plain `Error`s are found by reading the source's syntax; the few
 * left are listed here, each with why it carries no code.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeOf } from "../cli/errors";
import { ERROR_CODES, ErrorCode, ERROR_MESSAGES } from "../provider/core/error-codes";
import type { IssueCode } from "../provider/core/issues";
import { KubesliceIpamError } from "../provider/core/kubeslice-ipam-error";
import { writeFailure } from "../provider/store/file-store-errors";
import { ROOT, SOURCE, sourceFiles } from "./support/source-files";

const BUILT_IN_ERRORS = new Set(["Error", "TypeError", "RangeError", "SyntaxError", "AggregateError"]);

/** Built-in errors the source creates, each for a reason that is no failure a user acts on. */
const WITHOUT_CODE: readonly { readonly file: string; readonly text: string; readonly reason: string }[] = [
    {
        file: "provider/core/kubeslice-ipam-error.ts",
        text: "class KubesliceIpamError extends Error",
        reason: "the base every error with a code extends",
    },
    {
        file: "provider/store/ledger-store.ts",
        text: "new Error(String(error))",
        reason: "wraps a non-Error value some other code threw, so that a listing can carry it beside its slice",
    },
    {
        file: "provider/core/pool.ts",
        text: "new RangeError(",
        reason: "an invariant of the allocator's arithmetic (callers pass indices inside the pool): a bug, never a user's failure",
    },
    {
        file: "cli/store-options.ts",
        text: "new Error(`no command-line support for store",
        reason: "unreachable: the compiler checks that the switch covers every store kind",
    },
];

interface Site {
    readonly file: string;
    readonly text: string;
}

function parse(file: string): ts.SourceFile {
    return ts.createSourceFile(file, readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
}

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
    visit(node);
    node.forEachChild((child) => walk(child, visit));
}

/** Built-in errors created (`new Error(…)`) or extended (`extends Error`): the sites that carry no code. */
function builtInErrorSites(source: ts.SourceFile): Site[] {
    const sites: Site[] = [];
    walk(source, (node) => {
        if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && BUILT_IN_ERRORS.has(node.expression.text)) {
            sites.push({ file: source.fileName, text: node.getText(source) });
        }
        if (ts.isClassDeclaration(node)) {
            const parent = node.heritageClauses?.flatMap((clause) => clause.types)[0]?.expression;
            if (parent !== undefined && ts.isIdentifier(parent) && BUILT_IN_ERRORS.has(parent.text)) {
                sites.push({ file: source.fileName, text: `class ${node.name?.text} extends ${parent.text}` });
            }
        }
    });
    return sites;
}

/** `throw "text"`, `throw { … }`: a thrown value that is no error at all. */
function nonErrorThrows(source: ts.SourceFile): Site[] {
    const sites: Site[] = [];
    walk(source, (node) => {
        if (
            ts.isThrowStatement(node) &&
            (ts.isStringLiteralLike(node.expression) || ts.isTemplateExpression(node.expression) || ts.isObjectLiteralExpression(node.expression))
        ) {
            sites.push({ file: source.fileName, text: node.getText(source) });
        }
    });
    return sites;
}

function allowed(site: Site): boolean {
    return WITHOUT_CODE.some((entry) => entry.file === site.file && site.text.includes(entry.text));
}

describe("errors raised on purpose", () => {
    const sources = SOURCE.flatMap(sourceFiles).map(parse);

    it("reads the source", () => {
        expect(sources.length).toBeGreaterThan(50);
    });

    it("are never a built-in Error, except where listed with a reason", () => {
        const sites = sources.flatMap(builtInErrorSites);
        expect(sites.filter((site) => !allowed(site))).toEqual([]);
    });

    it("lists no exception that the source no longer has", () => {
        const sites = sources.flatMap(builtInErrorSites);
        for (const entry of WITHOUT_CODE) {
            expect(
                sites.some((site) => site.file === entry.file && site.text.includes(entry.text)),
                `${entry.file}: ${entry.text}`,
            ).toBe(true);
        }
    });

    it("would find a new Error without a code", () => {
        const probe = ts.createSourceFile("provider/x.ts", 'throw new Error("x"); class E extends Error {}', ts.ScriptTarget.Latest, true);
        expect(builtInErrorSites(probe).filter((site) => !allowed(site))).toHaveLength(2);
    });

    it("never throw a string or a plain object", () => {
        expect(sources.flatMap(nonErrorThrows)).toEqual([]);
    });

    it("use every code of the table somewhere", () => {
        const literals = new Set<string>();
        for (const source of sources.filter((file) => !file.fileName.endsWith(path.join("core", "error-codes.ts")))) {
            walk(source, (node) => {
                if (ts.isStringLiteralLike(node)) {
                    literals.add(node.text);
                }
            });
        }
        expect(Object.keys(ERROR_CODES).filter((code) => !literals.has(code))).toEqual([]);
    });
});

describe("ERROR_CODES", () => {
    it("holds every code of the core's issues (the compiler checks it)", () => {
        const missing: [Exclude<IssueCode, ErrorCode>] extends [never] ? "none" : Exclude<IssueCode, ErrorCode> = "none";
        expect(missing).toBe("none");
    });

    it.each(Object.entries(ERROR_CODES))("%s: the CLI exits with its category's code", (code, entry) => {
        expect(exitCodeOf(new KubesliceIpamError(code as ErrorCode, "x"))).toBe(EXIT[entry.exit]);
    });

    it("leaves errors that no code of ours names to exit 6", () => {
        expect(exitCodeOf(Object.assign(new Error("x"), { code: 404 }))).toBe(EXIT.failure);
        expect(exitCodeOf(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(EXIT.failure);
        expect(exitCodeOf("x")).toBe(EXIT.failure);
    });

    it("words slice-spec-mismatch once, for each way a slice can differ", () => {
        const message = ERROR_MESSAGES["slice-spec-mismatch"];
        expect(message({ kind: "copy-raced", sliceName: "blue", store: "file store /s" })).toBe(
            'slice "blue" appeared in file store /s while copying; run the copy again to compare',
        );
    });
});

describe("an errno", () => {
    it("stays out of code", () => {
        const error = writeFailure("file store /s", "blue", "/s/blue", Object.assign(new Error("read-only"), { code: "EROFS" }));
        expect(error).toMatchObject({ code: "store-write-failed", errno: "EROFS" });
        expect(error).toBeInstanceOf(KubesliceIpamError);
    });
});
