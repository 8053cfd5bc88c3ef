import type * as pulumi from "@pulumi/pulumi";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { changedProperties, checkProperties, InputsOf, Properties, requireValidInputs, Shape, toCheckFailures } from "./inputs";
import { isNotFound, syncDirectory, writeFileAtomically } from "../fs/atomic-file";
import { quoted } from "../core/issues";

const shape = {
    path: z.string({ error: "path must be a file path string" }).min(1, { error: "path must not be empty" }),
    content: z.string({ error: "content must be a string" }),
} satisfies Shape;

type ManifestFileInputs = InputsOf<typeof shape>;

// Relative paths resolve against the Pulumi project directory (the working directory).
const resolve = (file: string) => path.resolve(file);

export async function check(_olds: Properties, news: Properties): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, issues } = checkProperties(shape, news);
    return { inputs, failures: toCheckFailures(issues) };
}

export async function diff(_id: string, olds: Properties, news: Properties): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedProperties(olds, news, ["path"]);
    const changes = replaces.length > 0 || changedProperties(olds, news, ["content"]).length > 0;
    return { changes, replaces, deleteBeforeReplace: false };
}

export async function create(inputs: Properties): Promise<pulumi.dynamic.CreateResult> {
    const args = validInputs(inputs);
    await write(args);
    return { id: args.path, outs: { path: args.path, content: args.content } };
}

/** A file edited or removed by hand shows up as drift on refresh. */
export async function read(id: string, props: Properties): Promise<pulumi.dynamic.ReadResult> {
    const file = validPath(props);
    try {
        const content = await fs.readFile(resolve(file), "utf8");
        return { id, props: { path: file, content } };
    } catch (error) {
        if (isNotFound(error)) {
            return {};
        }
        throw error;
    }
}

export async function update(_id: string, _olds: Properties, news: Properties): Promise<pulumi.dynamic.UpdateResult> {
    const args = validInputs(news);
    await write(args);
    return { outs: { path: args.path, content: args.content } };
}

export async function remove(_id: string, props: Properties): Promise<void> {
    const file = resolve(validPath(props));
    try {
        await fs.unlink(file);
        await syncDirectory(path.dirname(file));
    } catch (error) {
        if (!isNotFound(error)) {
            throw error;
        }
    }
}

/** Every call that touches the disk validates: a call that skipped check must not write a file named `undefined`. */
function validInputs(props: Properties): ManifestFileInputs {
    return requireValidInputs(shape, props, subjectOf(props));
}

/** Reading and removing need only the path: a state written without content still cleans up. */
function validPath(props: Properties): string {
    return requireValidInputs({ path: shape.path }, props, subjectOf(props)).path;
}

const subjectOf = (props: Properties | undefined) =>
    typeof props?.path === "string" ? `manifest file ${quoted(props.path)}` : "a manifest file without a path";

async function write(args: ManifestFileInputs): Promise<void> {
    const file = resolve(args.path);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomically(file, args.content);
}
