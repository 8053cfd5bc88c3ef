/**
 * ManifestFile's path rule and ownership (issue 27, item 2), through the
 * handlers; the same through Pulumi's dynamic-provider host is in
 * manifest-file-host.test.ts. The project directory is the working directory.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { makeTempDir } from "../support/temp-dir";
import { failureOf } from "../support/failure";

const manifestFile = handlers.manifestFile;
let project: ReturnType<typeof makeTempDir>;
let outside: ReturnType<typeof makeTempDir>;
const started = process.cwd();
beforeEach(() => {
    project = makeTempDir();
    outside = makeTempDir();
    process.chdir(project.dir);
});
afterEach(() => {
    process.chdir(started);
    project.remove();
    outside.remove();
});

const inProject = (file: string) => path.join(realpathSync(project.dir), file);

describe("ManifestFile paths", () => {
    it("check refuses a NUL in the path with a clear failure; create refuses it without a TypeError", async () => {
        const { failures } = await manifestFile.check({}, { path: "manifests/a\u0000.yaml", content: "x" });
        expect(failures).toEqual([{ property: "path", reason: "path must not contain a NUL character" }]);
        const error = await failureOf(manifestFile.create({ path: "a\u0000.yaml", content: "x" }));
        expect(error?.name).toBe("InvalidInputsError");
        expect(error?.message).toContain("path must not contain a NUL character");
    });

    it.each([
        ["a '..' out of the project", () => "../escape.yaml"],
        ["an absolute path outside it", () => path.join(outside.dir, "escape.yaml")],
        ["a symbolic link in the project to a directory outside it", () => (symlinkSync(outside.dir, "out"), "out/escape.yaml")],
    ])("check and every call refuse %s unless allowOutsideProject is true", async (_what, pathOf) => {
        const file = pathOf();
        const { failures } = await manifestFile.check({}, { path: file, content: "x" });
        expect(failures).toEqual([{ property: "path", reason: expect.stringContaining("outside the Pulumi project directory") }]);
        expect(failures![0].reason).toContain("set allowOutsideProject: true to write there");
        for (const call of [
            () => manifestFile.create({ path: file, content: "x" }),
            () => manifestFile.update(file, { path: file, content: "x" }, { path: file, content: "y" }),
            () => manifestFile.remove(file, { path: file, content: "x" }),
            () => manifestFile.read(file, { path: file, content: "x" }),
        ]) {
            expect((await failureOf(call()))?.name).toBe("InvalidInputsError");
        }
        expect(existsSync(path.join(path.dirname(outside.dir), "escape.yaml"))).toBe(false);
        expect(existsSync(path.join(outside.dir, "escape.yaml"))).toBe(false);
        expect((await manifestFile.check({}, { path: file, content: "x", allowOutsideProject: true })).failures).toEqual([]);
        await manifestFile.create({ path: file, content: "x", allowOutsideProject: true });
        expect(readFileSync(file, "utf8")).toBe("x");
        await manifestFile.remove(file, { path: file, content: "x", allowOutsideProject: true });
        expect(existsSync(file)).toBe(false);
        // '..' that stays inside the project is fine.
        expect((await manifestFile.check({}, { path: "manifests/../other/a.yaml", content: "x" })).failures).toEqual([]);
    });
});

describe("ManifestFile ownership", () => {
    it("create refuses to overwrite a file with other content, naming it; a file with exactly the content is adopted", async () => {
        mkdirSync("manifests");
        writeFileSync("manifests/a.yaml", "someone else's\n");
        const error = await failureOf(manifestFile.create({ path: "manifests/a.yaml", content: "ours\n" }));
        expect(error?.message).toBe(
            `manifest file "manifests/a.yaml": ${inProject("manifests/a.yaml")} already exists with other content; kubeslice-ipam ` +
                "does not overwrite a file it did not write. Move or remove that file (or choose another path), then run pulumi up again",
        );
        expect(readFileSync("manifests/a.yaml", "utf8")).toBe("someone else's\n");
        writeFileSync("manifests/b.yaml", "ours\n");
        await manifestFile.create({ path: "manifests/b.yaml", content: "ours\n" });
        expect(readFileSync("manifests/b.yaml", "utf8")).toBe("ours\n");
    });

    it("update and delete refuse a file rewritten by someone else, and act once a refresh recorded it", async () => {
        const state = { path: "a.yaml", content: "v1\n" };
        await manifestFile.create(state);
        writeFileSync("a.yaml", "edited by hand\n");
        const update = await failureOf(manifestFile.update("a.yaml", state, { ...state, content: "v2\n" }));
        expect(update?.message).toContain(
            `${inProject("a.yaml")} no longer holds the content this resource wrote, so kubeslice-ipam will not replace it`,
        );
        expect(update?.message).toContain("Run pulumi refresh");
        const removal = await failureOf(manifestFile.remove("a.yaml", state));
        expect(removal?.message).toContain("will not remove it");
        expect(readFileSync("a.yaml", "utf8")).toBe("edited by hand\n");
        const refreshed = await manifestFile.read("a.yaml", state);
        expect(refreshed.props).toEqual({ path: "a.yaml", content: "edited by hand\n" });
        await manifestFile.update("a.yaml", refreshed.props!, { ...state, content: "v2\n" });
        expect(readFileSync("a.yaml", "utf8")).toBe("v2\n");
        await manifestFile.remove("a.yaml", { ...state, content: "v2\n" });
        expect(existsSync("a.yaml")).toBe(false);
        await manifestFile.remove("a.yaml", { ...state, content: "v2\n" }); // already gone: fine
    });

    it("read never puts a foreign file into state: outside the project refused, a link or a huge file only noted", async () => {
        await expect(manifestFile.read("/etc/hostname", { path: "/etc/hostname" })).rejects.toThrow("outside the Pulumi project directory");
        writeFileSync(path.join(outside.dir, "secret"), "s3cret\n");
        symlinkSync(path.join(outside.dir, "secret"), "link.yaml");
        const linked = await manifestFile.read("link.yaml", { path: "link.yaml", content: "x" });
        expect(linked.props).toEqual({ path: "link.yaml", content: `(not read by kubeslice-ipam: ${inProject("link.yaml")} is a symbolic link)` });
        writeFileSync("huge.yaml", "x".repeat(2 * 1024 * 1024));
        const huge = await manifestFile.read("huge.yaml", { path: "huge.yaml", content: "x" });
        expect(huge.props!.content).toMatch(
            /^\(not read by kubeslice-ipam: .*huge\.yaml is 2097152 bytes, more than the 1048576 a manifest file may hold\)$/,
        );
        expect(await manifestFile.read("gone.yaml", { path: "gone.yaml", content: "x" })).toEqual({});
    });

    it("diff: another spelling of the same file (absolute, through a link) is an update, never a replacement", async () => {
        mkdirSync("manifests");
        symlinkSync(inProject("manifests"), "alias");
        const olds = { path: "manifests/a.yaml", content: "x" };
        for (const spelling of [inProject("manifests/a.yaml"), "alias/a.yaml", "./manifests/x/../a.yaml"]) {
            expect(await manifestFile.diff("manifests/a.yaml", olds, { path: spelling, content: "x" })).toEqual({
                changes: true,
                replaces: [],
                deleteBeforeReplace: false,
            });
        }
        expect((await manifestFile.diff("manifests/a.yaml", olds, { path: "manifests/b.yaml", content: "x" })).replaces).toEqual(["path"]);
        await manifestFile.create(olds);
        await manifestFile.update("manifests/a.yaml", olds, { path: inProject("manifests/a.yaml"), content: "y" });
        expect(readFileSync("manifests/a.yaml", "utf8")).toBe("y");
    });
});
