import { KubesliceIpamError } from "../core/kubeslice-ipam-error";

/** Why a file-store write failed, in words that say what to do. Nothing was written in every case. */
export class FileStoreWriteError extends KubesliceIpamError {
    constructor(
        readonly sliceName: string,
        readonly path: string,
        /** The file system's error code (EROFS, ENOSPC, …), when it gave one. */
        readonly errno: string | undefined,
        message: string,
    ) {
        super("store-write-failed", message);
        this.name = "FileStoreWriteError";
    }
}

const HINTS: Record<string, string> = {
    EROFS: "the file system is mounted read-only; mount it read-write or point store.directory at a writable directory",
    EACCES: "this user may not write there; fix the directory's permissions or point store.directory at a writable directory",
    EPERM: "this user may not write there; fix the directory's permissions or point store.directory at a writable directory",
    ENOSPC: "the disk is full; free space on that file system, then run again",
    EDQUOT: "the disk quota is exhausted; free space or raise the quota, then run again",
};

/** Wraps a file-system error met while writing a slice's ledger. */
export function writeFailure(storeDescription: string, sliceName: string, path: string, error: unknown): Error {
    if (error instanceof FileStoreWriteError) {
        return error;
    }
    const code = (error as NodeJS.ErrnoException)?.code;
    const reason = (error as Error)?.message ?? String(error);
    const hint = (code !== undefined && HINTS[code]) || "see the reason above, fix it, then run again";
    return new FileStoreWriteError(
        sliceName,
        path,
        code,
        `slice "${sliceName}": cannot write its ledger in ${storeDescription} (${path}): ${reason}. ` + `Nothing was written; ${hint}.`,
    );
}

export function symlinkRefused(path: string): Error {
    return new KubesliceIpamError(
        "symlink-refused",
        `${path} is a symbolic link; the file store refuses links (a write would replace the link, not its target). ` +
            `Replace it by the directory or file itself, or point store.directory at the real location.`,
    );
}

/** A ledger file that exists but cannot be read (opened or read), named with what to do. */
export function unreadable(file: string, error: unknown): Error {
    return new KubesliceIpamError(
        "store-unreadable",
        `cannot read slice ledger ${file}: ${(error as Error)?.message ?? String(error)}. Nothing was written; ` +
            `make it a readable ledger file again (restore it from a backup, or move away what is there), then run again.`,
        { cause: error },
    );
}
