/**
 * Exit codes of `slice-ipam`. Stable: scripts and CI jobs branch on them.
 */
export const EXIT = {
    /** Done; for `check`, the ledger matches the expected clusters. */
    ok: 0,
    /** `check` found clusters missing from the ledger or not expected. */
    mismatch: 1,
    /** Bad command line: unknown command or option, bad value, unreadable SliceConfig file. */
    usage: 2,
    /** The store does not exist (e.g. no such file store directory). */
    storeNotFound: 3,
    /** The slice is not registered in the store. */
    sliceNotFound: 4,
    /** A ledger document is corrupt; nothing was changed. */
    corruptLedger: 5,
    /** Anything else: an unreadable store, a port already in use. */
    failure: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as `error: <message>` and exits with `exitCode`. */
export class CliError extends Error {
    constructor(
        readonly exitCode: ExitCode,
        message: string,
    ) {
        super(message);
        this.name = "CliError";
    }
}
