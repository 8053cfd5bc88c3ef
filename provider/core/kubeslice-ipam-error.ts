import type { ErrorCode } from "./error-codes";

/**
 * The one base of every error kubeslice-ipam raises on purpose: `code` is a
 * stable id of `ERROR_CODES` (./error-codes.ts), for tools and for the
 * CLI's exit code; the message is for people. An errno or HTTP status a
 * failure came from lives in the subclass's own fields or in `cause`, never
 * in `code`. Its `name` stays `Error` (subclasses set their own), so that an
 * error raised without a subclass reads as it always has in diagnostics.
 */
export class KubesliceIpamError extends Error {
    constructor(
        readonly code: ErrorCode,
        message: string,
        options?: { readonly cause?: unknown },
    ) {
        super(message, options);
    }
}
