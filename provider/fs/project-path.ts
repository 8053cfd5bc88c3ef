import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { quoted } from "../core/issues";

/**
 * Where a file a resource owns may be, and how its content is read back.
 * Synchronous: `check` applies the rule, and these are a few system calls.
 *
 * A path is compared canonically: resolved against the project directory
 * (the working directory: Pulumi's project directory), then the realpath of
 * its nearest existing directory, so `manifests/x.yaml`, its absolute
 * spelling and a spelling through a symbolic link are one file.
 */
export interface CanonicalPath {
    /** The canonical absolute path. */
    readonly file: string;
    /** The canonical project directory it was resolved against. */
    readonly project: string;
    readonly insideProject: boolean;
}

/** The most a read takes into state: larger files are no manifests this package wrote. */
export const READ_LIMIT_BYTES = 1024 * 1024;

export function canonicalPath(file: string, project: string = process.cwd()): CanonicalPath {
    const canonicalProject = realpathSync.native(project);
    const absolute = path.resolve(canonicalProject, file);
    let existing = path.dirname(absolute);
    const rest = [path.basename(absolute)];
    for (;;) {
        try {
            existing = realpathSync.native(existing);
            break;
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if ((code !== "ENOENT" && code !== "ENOTDIR") || path.dirname(existing) === existing) {
                throw error;
            }
            rest.unshift(path.basename(existing));
            existing = path.dirname(existing);
        }
    }
    const canonical = path.join(existing, ...rest);
    const relative = path.relative(canonicalProject, canonical);
    const insideProject = relative !== "" && !relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative);
    return { file: canonical, project: canonicalProject, insideProject };
}

/** Why `file` may not be used, or undefined: outside the project needs the explicit opt-in. */
export function outsideProjectReason(field: string, file: string, allowOutsideProject: boolean | undefined): string | undefined {
    let canonical: CanonicalPath;
    try {
        canonical = canonicalPath(file);
    } catch (error) {
        return `${field} ${quoted(file)} cannot be resolved: ${(error as Error).message}`;
    }
    if (canonical.insideProject || allowOutsideProject === true) {
        return undefined;
    }
    return (
        `${field} ${quoted(file)} resolves to ${quoted(canonical.file)}, outside the Pulumi project directory ` +
        `${quoted(canonical.project)}; use a path inside the project, or set allowOutsideProject: true to write there`
    );
}

/** What a regular file holds, read without following a link and without reading more than `limit` bytes. */
export type FileContent =
    | { readonly kind: "absent" }
    | { readonly kind: "text"; readonly text: string }
    /** A link, a directory, a device, or a file over the limit: never read. */
    | { readonly kind: "other"; readonly description: string };

export function readOwnedFile(file: string, limit: number = READ_LIMIT_BYTES): FileContent {
    let fd: number;
    try {
        fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return { kind: "absent" };
        if (code === "ELOOP") return { kind: "other", description: "a symbolic link" };
        throw error;
    }
    try {
        const stat = fstatSync(fd);
        if (!stat.isFile()) {
            return { kind: "other", description: stat.isDirectory() ? "a directory" : "not a regular file" };
        }
        if (stat.size > limit) {
            return { kind: "other", description: `${stat.size} bytes, more than the ${limit} a manifest file may hold` };
        }
        const buffer = Buffer.alloc(stat.size);
        let read = 0;
        while (read < stat.size) {
            const n = readSync(fd, buffer, read, stat.size - read, read);
            if (n === 0) break;
            read += n;
        }
        return { kind: "text", text: buffer.subarray(0, read).toString("utf8") };
    } finally {
        closeSync(fd);
    }
}
