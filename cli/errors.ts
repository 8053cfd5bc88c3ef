import { ERROR_CODES, ErrorCode } from "../provider/core/error-codes";
import { KubesliceIpamError } from "../provider/core/kubeslice-ipam-error";

/**
 * Exit codes of `slice-ipam`. Stable: scripts and CI jobs branch on them.
 * `EXIT_MEANINGS` is what the exit-code table of docs/operations.md says (a test compares
 * them); an error's code picks its exit code through `ERROR_CODES` (provider/core/error-codes.ts).
 */
export const EXIT = {
    ok: 0,
    mismatch: 1,
    usage: 2,
    storeNotFound: 3,
    sliceNotFound: 4,
    corruptLedger: 5,
    failure: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit-code table of docs/operations.md, row for row. */
export const EXIT_MEANINGS: Readonly<Record<ExitCode, string>> = {
    0: "done; for `check`, the ledger matches the expected clusters",
    1: "`check` found expected clusters without an active subnet, or active clusters not expected",
    2:
        "bad command line: unknown command or option, bad `--output`/`--now`/`--listen`/`--cache-seconds` value, invalid slice name, " +
        "unreadable or unsuitable SliceConfig file, a `--plan` file that is not `pulumi preview --json` output, `sync-usage` with the file store, " +
        "`reclaim --cluster` of a cluster that is not Released or without `--now`/`--yes`",
    3:
        "the store does not exist or cannot be reached as named: no such file store directory, a kubeconfig that cannot " +
        "be read, is malformed or has no such `--context`, a cluster without the SliceIpam CRDs or without the store's namespace; " +
        "for `sync-usage`, a cluster without the WorkerSliceConfig CRD",
    4: "the slice is not registered in the store (the message lists the slices it holds)",
    5: "a ledger document is corrupt (the message names the file or object; nothing is changed)",
    6: "anything else: an unreadable store, an unreachable API server, a denied request, a port already in use",
};

/** Codes the CLI itself raises, beside the codes of the providers' errors. */
export type CliErrorCode = Extract<ErrorCode, "usage" | "store-not-found" | "slice-not-registered" | "store-unreadable" | "listen-failed">;

/**
 * The exit code for a failure: its `code`'s category in `ERROR_CODES`, the
 * one table of codes. Anything else (an error no code of ours names, an
 * API server's HTTP status) exits `failure`.
 */
export function exitCodeOf(error: unknown): ExitCode {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code !== "string") {
        return EXIT.failure;
    }
    if (Object.hasOwn(ERROR_CODES, code)) {
        return EXIT[ERROR_CODES[code as ErrorCode].exit];
    }
    // Commander's: --help and --version are answers; every other one of its codes (help shown for a missing command too) is a bad command line.
    if (code === "commander.helpDisplayed" || code === "commander.version") {
        return EXIT.ok;
    }
    return code.startsWith("commander.") ? EXIT.usage : EXIT.failure;
}

/** A failure the CLI reports as `error: <message>`; its exit code follows from `code`. */
export class CliError extends KubesliceIpamError {
    constructor(
        override readonly code: CliErrorCode,
        message: string,
    ) {
        super(code, message);
        this.name = "CliError";
    }
}
