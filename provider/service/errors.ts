/**
 * A failure the user can act on. Its message names the slice, the cluster
 * where one is involved, and what to do next; `code` is stable for tools.
 */
export class IpamError extends Error {
    constructor(
        readonly code: IpamErrorCode,
        message: string,
    ) {
        super(message);
        this.name = "IpamError";
    }
}

export type IpamErrorCode =
    | "slice-not-registered"
    | "slice-spec-mismatch"
    | "slice-overlap"
    | "slice-has-active-allocations"
    | "no-available-subnets"
    | "max-clusters-reached"
    | "unknown-cluster"
    | "cluster-released"
    | "requested-subnet-invalid"
    | "requested-subnet-taken";
