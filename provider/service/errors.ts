import type { Issue } from "../core/issues";

/**
 * A failure the user can act on. Its message names the slice, the cluster
 * where one is involved, and what to do next; `code` is stable for tools.
 */
export class IpamError extends Error {
    constructor(
        readonly code: IpamErrorCode,
        message: string,
        /** The core issue this error reports, with its data fields (`heldBy`, `index`, …), when one does. */
        readonly issue?: Issue<IpamErrorCode & Issue["code"]>,
    ) {
        super(message);
        this.name = "IpamError";
    }

    /** Raises a core issue: its code, its rendered message and its data. */
    static fromIssue(issue: Issue<IpamErrorCode & Issue["code"]>): IpamError {
        return new IpamError(issue.code, issue.message, issue);
    }
}

/**
 * Every code an {@link IpamError} carries. docs/operations.md's error-code
 * table lists each of them (test/readme.test.ts compares the two).
 */
export const IPAM_ERROR_CODES = [
    "slice-not-registered",
    "slice-spec-mismatch",
    "slice-overlap",
    "slice-has-active-allocations",
    "no-available-subnets",
    "max-clusters-reached",
    "unknown-cluster",
    "cluster-released",
    "cluster-not-released",
    "requested-subnet-invalid",
    "requested-subnet-taken",
] as const;

export type IpamErrorCode = (typeof IPAM_ERROR_CODES)[number];
