import type { ErrorCode } from "../core/error-codes";
import type { Issue } from "../core/issues";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";

/**
 * A failure the user can act on. Its message names the slice, the cluster
 * where one is involved, and what to do next; `code` is stable for tools.
 */
export class IpamError extends KubesliceIpamError {
    constructor(
        override readonly code: IpamErrorCode,
        message: string,
        /** The core issue this error reports, with its data fields (`heldBy`, `index`, …), when one does. */
        readonly issue?: Issue<IpamErrorCode & Issue["code"]>,
    ) {
        super(code, message);
        this.name = "IpamError";
    }

    /** Raises a core issue: its code, its rendered message and its data. */
    static fromIssue(issue: Issue<IpamErrorCode & Issue["code"]>): IpamError {
        return new IpamError(issue.code, issue.message, issue);
    }
}

/** The codes an {@link IpamError} carries: the service's rules, and the core issues it raises. */
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
    "requested-subnet-reserved",
    "reserved-range-overlaps-held",
    "planned-subnet-not-held",
    "allocation-not-in-store",
    "ipv6-pool-unpairable",
    "requested-subnets-unpaired",
] as const satisfies readonly ErrorCode[];

export type IpamErrorCode = (typeof IPAM_ERROR_CODES)[number];
