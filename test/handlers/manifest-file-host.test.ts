/**
 * ManifestFile as the engine runs it: serialized, in Pulumi's real
 * dynamic-provider host, whose working directory is the project directory.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRepoRoot, HostedIpam, HostedProvider, startHostedIpam } from "../support/provider-host";
import { failureOf } from "../support/failure";

let ipam: HostedIpam;
let files: HostedProvider;
let project: string;
beforeAll(async () => {
    ipam = await startHostedIpam();
    const resources = require(path.join(findRepoRoot(__dirname), "dist/resources")) as typeof import("../../resources");
    files = await ipam.host.provider(resources.manifestFileProvider, "ManifestFile");
    project = realpathSync(ipam.workdir);
});
afterAll(async () => {
    await ipam?.close();
});

describe("ManifestFile through the host", () => {
    it("check refuses a NUL and a path out of the project; create writes nothing there", async () => {
        expect((await files.check({}, { path: "a\u0000.yaml", content: "x" })).failures).toEqual([
            { property: "path", reason: "path must not contain a NUL character" },
        ]);
        const escape = await files.check({}, { path: "../escape.yaml", content: "x" });
        expect(escape.failures).toEqual([{ property: "path", reason: expect.stringContaining(`outside the Pulumi project directory "${project}"`) }]);
        expect((await failureOf(files.create({ path: "../escape.yaml", content: "x" })))?.message).toContain("set allowOutsideProject: true");
        expect(existsSync(path.join(path.dirname(project), "escape.yaml"))).toBe(false);
    });

    it("create never overwrites a foreign file; delete never removes one rewritten since", async () => {
        mkdirSync(path.join(project, "manifests"), { recursive: true });
        writeFileSync(path.join(project, "manifests/theirs.yaml"), "theirs\n");
        const error = await failureOf(files.create({ path: "manifests/theirs.yaml", content: "ours\n" }));
        expect(error?.message).toContain(`${project}/manifests/theirs.yaml already exists with other content`);
        const created = await files.create({ path: "manifests/ours.yaml", content: "ours\n" });
        writeFileSync(path.join(project, "manifests/ours.yaml"), "rewritten\n");
        expect((await failureOf(files.delete(created.id, created.properties)))?.message).toContain("will not remove it");
        expect(readFileSync(path.join(project, "manifests/ours.yaml"), "utf8")).toBe("rewritten\n");
    });

    it("refresh of /etc/hostname is refused: nothing of it reaches state", async () => {
        const error = await failureOf(files.read("/etc/hostname", { path: "/etc/hostname", content: "" }));
        expect(error?.message).toContain("outside the Pulumi project directory");
    });

    it("the component's manifestsDirectory moved from relative to absolute is an update of the same file, which stays", async () => {
        const created = await files.create({ path: "manifests/blue-w-1.yaml", content: "v1\n" });
        const absolute = { path: path.join(project, "manifests/blue-w-1.yaml"), content: "v1\n" };
        const diff = await files.diff(created.id, created.properties, absolute);
        expect(diff).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
        await files.update(created.id, created.properties, absolute);
        expect(readFileSync(absolute.path, "utf8")).toBe("v1\n");
    });
});
