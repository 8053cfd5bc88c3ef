import type * as pulumi from "@pulumi/pulumi";
import { promises as fs } from "node:fs";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { z } from "zod";
import { changedProperties, checkProperties, containsUnknown, InputsOf, Properties, requireValidInputs, Shape, toCheckFailures } from "./inputs";
import { isNotFound, syncDirectory, writeFileAtomically, writeNewFileDurably } from "../fs/atomic-file";
import { canonicalPath, FileContent, outsideProjectReason, readOwnedFile } from "../fs/project-path";
import { quoted } from "../core/issues";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";

/**
 * The rule (docs/component.md, "Manifest files"): a path is compared canonically (see
 * project-path.ts); one outside the Pulumi project directory needs
 * `allowOutsideProject: true`; a file is created only where none is (or one
 * already holding exactly the content), and replaced or removed only while it
 * holds exactly the content in the stack's state: what this resource wrote,
 * or what a refresh recorded and the user saw. Every call that touches the
 * disk applies the rule: direct calls skip check.
 */
const shape = {
    path: z
        .string({ error: "path must be a file path string" })
        .min(1, { error: "path must not be empty" })
        .refine((file) => !file.includes("\u0000"), { error: "path must not contain a NUL character" }),
    content: z.string({ error: "content must be a string" }),
    allowOutsideProject: z.boolean({ error: "allowOutsideProject must be true or false" }).optional(),
} satisfies Shape;

type ManifestFileInputs = InputsOf<typeof shape>;

const crossChecks = [
    (known: Record<string, unknown>) => {
        const reason =
            typeof known.path === "string" ? outsideProjectReason("path", known.path, known.allowOutsideProject as boolean | undefined) : undefined;
        return reason === undefined ? undefined : { property: "path", message: reason };
    },
];

export async function check(_olds: Properties, news: Properties): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, issues } = checkProperties(shape, news, crossChecks);
    return { inputs, failures: toCheckFailures(issues) };
}

/**
 * Another spelling of the same file (relative or absolute, through a link) is
 * an update, never a replacement: a replacement creates the new resource and
 * then deletes the old one, which would remove the file just written.
 */
export async function diff(_id: string, olds: Properties, news: Properties): Promise<pulumi.dynamic.DiffResult> {
    const replaces = sameFile(olds.path, news.path) ? [] : ["path"];
    const changes = replaces.length > 0 || changedProperties(olds, news, ["path", "content", "allowOutsideProject"]).length > 0;
    return { changes, replaces, deleteBeforeReplace: false };
}

function sameFile(old: unknown, next: unknown): boolean {
    if (typeof old !== "string" || typeof next !== "string" || containsUnknown(next)) {
        return old === next;
    }
    try {
        return canonicalPath(old).file === canonicalPath(next).file;
    } catch {
        return old === next;
    }
}

export async function create(inputs: Properties): Promise<pulumi.dynamic.CreateResult> {
    const args = validInputs(inputs);
    await createFile(args);
    return { id: args.path, outs: outputs(args) };
}

/**
 * A file edited or removed by hand shows up as drift on refresh. Only a path
 * the rule allows is read, a regular file of at most 1 MiB, never through a
 * link: anything else is recorded as a one-line note, not its content.
 */
export async function read(id: string, props: Properties): Promise<pulumi.dynamic.ReadResult> {
    const args = validPath(props);
    const current = readOwnedFile(fileOf(args));
    if (current.kind === "absent") {
        return {};
    }
    const content = current.kind === "text" ? current.text : `(not read by kubeslice-ipam: ${fileOf(args)} is ${current.description})`;
    return { id, props: outputs({ ...args, content }) };
}

export async function update(_id: string, olds: Properties, news: Properties): Promise<pulumi.dynamic.UpdateResult> {
    const args = validInputs(news);
    const old = validPath(olds);
    const file = fileOf(args);
    if (fileOf(old) !== file) {
        // Only a call that skipped diff gets here: the new file first, then the old one, if still ours.
        await createFile(args);
        await removeOwned(old, olds.content);
        return { outs: outputs(args) };
    }
    const current = readOwnedFile(file);
    if (current.kind !== "absent" && !holds(current, olds.content) && !holds(current, args.content)) {
        throw notOurs(args.path, file, "replace");
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomically(file, args.content);
    return { outs: outputs(args) };
}

/** Removes the file while it holds the content in state; a file already gone is fine. */
export async function remove(_id: string, props: Properties): Promise<void> {
    await removeOwned(validPath(props), props.content);
}

async function removeOwned(args: Pick<ManifestFileInputs, "path" | "allowOutsideProject">, content: unknown): Promise<void> {
    const file = fileOf(args);
    const current = readOwnedFile(file);
    if (current.kind === "absent") {
        return;
    }
    if (!holds(current, content)) {
        throw notOurs(args.path, file, "remove");
    }
    try {
        await fs.unlink(file);
        await syncDirectory(path.dirname(file));
    } catch (error) {
        if (!isNotFound(error)) {
            throw error;
        }
    }
}

/** Creates the file where none is (atomically: link(2) fails on an existing name); one already holding the content is adopted. */
async function createFile(args: ManifestFileInputs): Promise<void> {
    const file = fileOf(args);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
        await writeNewFileDurably(temporary, args.content);
        await fs.link(temporary, file);
        await syncDirectory(path.dirname(file));
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !holds(readOwnedFile(file), args.content)) {
            throw (error as NodeJS.ErrnoException).code === "EEXIST" ? alreadyThere(args.path, file) : error;
        }
    } finally {
        await fs.rm(temporary, { force: true });
    }
}

const holds = (current: FileContent, content: unknown) => current.kind === "text" && current.text === content;

function alreadyThere(given: string, file: string): Error {
    return new KubesliceIpamError(
        "manifest-file-exists",
        `manifest file ${quoted(given)}: ${file} already exists with other content; kubeslice-ipam does not overwrite a file it ` +
            `did not write. Move or remove that file (or choose another path), then run pulumi up again`,
    );
}

function notOurs(given: string, file: string, verb: "replace" | "remove"): Error {
    return new KubesliceIpamError(
        "manifest-file-changed",
        `manifest file ${quoted(given)}: ${file} no longer holds the content this resource wrote, so kubeslice-ipam will not ` +
            `${verb} it. Run pulumi refresh to record what it holds now (then pulumi up ${verb === "remove" ? "removes" : "rewrites"} it), ` +
            `or restore or remove the file by hand`,
    );
}

/** Every call that touches the disk validates: a call that skipped check must not write a file named `undefined`, or outside the project. */
function validInputs(props: Properties): ManifestFileInputs {
    return requireValidInputs(shape, props, subjectOf(props), crossChecks);
}

/** Reading and removing need the path (and the opt-in), checked by the same rule. */
function validPath(props: Properties): Pick<ManifestFileInputs, "path" | "allowOutsideProject"> {
    const { path: file, allowOutsideProject } = shape;
    return requireValidInputs({ path: file, allowOutsideProject }, props, subjectOf(props), crossChecks);
}

const fileOf = (args: Pick<ManifestFileInputs, "path">) => canonicalPath(args.path).file;

const outputs = (args: ManifestFileInputs) => ({
    path: args.path,
    content: args.content,
    ...(args.allowOutsideProject === undefined ? {} : { allowOutsideProject: args.allowOutsideProject }),
});

const subjectOf = (props: Properties | undefined) =>
    typeof props?.path === "string" ? `manifest file ${quoted(props.path)}` : "a manifest file without a path";
