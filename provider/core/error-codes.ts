/**
 * Every stable code an error of kubeslice-ipam carries, as data: what it
 * means (the text of docs/operations.md's error-code table, which a test
 * compares row by row), the `slice-ipam` exit category it maps to, and, where
 * one code is raised from several places, the one builder of its message.
 * The core's issues keep their wording in `ISSUE_MESSAGES` (./issues.ts).
 */

/** What `slice-ipam` exits with for a code; cli/errors.ts gives each category its number. */
export type ExitCategory = "usage" | "storeNotFound" | "sliceNotFound" | "corruptLedger" | "failure";

export interface ErrorCodeEntry {
    readonly exit: ExitCategory;
    /** One line of Markdown: when the code is raised. */
    readonly meaning: string;
}

/** How a slice already in a store differs from the one being registered or copied there. */
export type SpecMismatch =
    | {
          readonly kind: "pool";
          readonly sliceName: string;
          readonly store: string;
          readonly registered: PoolsOfSpec;
          readonly requested: PoolsOfSpec;
      }
    | { readonly kind: "copy-differs"; readonly sliceName: string; readonly store: string; readonly from: string }
    | { readonly kind: "copy-raced"; readonly sliceName: string; readonly store: string };

/** The settings that name a slice's pools. */
interface PoolsOfSpec {
    readonly sliceSubnet: string;
    readonly subnetSize: number;
    readonly sliceSubnetIpv6?: string;
    readonly subnetSizeIpv6?: number;
}

function poolsText(pools: PoolsOfSpec, dualStack: boolean): string {
    const ipv4 = `sliceSubnet ${pools.sliceSubnet} and subnetSize ${pools.subnetSize}`;
    if (!dualStack) {
        return ipv4;
    }
    return pools.sliceSubnetIpv6 === undefined
        ? `${ipv4} and no IPv6 pool`
        : `${ipv4}, sliceSubnetIpv6 ${pools.sliceSubnetIpv6} and subnetSizeIpv6 ${pools.subnetSizeIpv6}`;
}

function specMismatchMessage(mismatch: SpecMismatch): string {
    switch (mismatch.kind) {
        case "pool": {
            const dualStack = mismatch.registered.sliceSubnetIpv6 !== undefined || mismatch.requested.sliceSubnetIpv6 !== undefined;
            return (
                `slice "${mismatch.sliceName}" is already registered in ${mismatch.store} with ${poolsText(mismatch.registered, dualStack)}, ` +
                `so it cannot be registered with ${poolsText(mismatch.requested, dualStack)}. ` +
                (dualStack
                    ? `The pools are immutable, but for adding an IPv6 pool to an IPv4 slice once: give the new pools a new slice name.`
                    : `Both are immutable: give the new pool a new slice name.`)
            );
        }
        case "copy-differs":
            return (
                `slice "${mismatch.sliceName}" already exists in ${mismatch.store} with different settings or allocations than in ` +
                `${mismatch.from}; compare them (slice-ipam show ${mismatch.sliceName}) and remove one before copying`
            );
        case "copy-raced":
            return `slice "${mismatch.sliceName}" appeared in ${mismatch.store} while copying; run the copy again to compare`;
    }
}

/** The table, in the order of docs/operations.md. */
export const ERROR_CODES = {
    usage: {
        exit: "usage",
        meaning: "`slice-ipam` was given a bad command line: an unknown command or option, a bad option value, an unsuitable SliceConfig file",
    },
    "invalid-inputs": {
        exit: "usage",
        meaning:
            "a resource's or the `KubeSliceIpam` component's inputs are invalid or still unknown where they must be known (a write that skipped `check` included); the message lists every problem",
    },
    "slice-name-invalid": { exit: "usage", meaning: "a slice name is not a DNS-1123 label" },
    "store-not-found": {
        exit: "storeNotFound",
        meaning: "the store does not exist as named: no such file store directory (or not a directory), no such kubeconfig file",
    },
    "kubeconfig-invalid": {
        exit: "storeNotFound",
        meaning: "a kubeconfig is not valid YAML or lacks required fields (the message gives the line, never its text)",
    },
    "kubeconfig-context-not-found": { exit: "storeNotFound", meaning: "the kubeconfig has no context of the given name" },
    "store-kubeconfig-not-configured": {
        exit: "storeNotFound",
        meaning:
            "a store input says its kubeconfig is in the provider's configuration (`kubeconfigFrom: \"provider\"`, as `KubeSliceIpam` gives its resources), but the resource's provider has none",
    },
    "resource-type-not-served": {
        exit: "storeNotFound",
        meaning: "the API server does not serve the SliceIpam or SliceIpamShard resource type: install `deploy/kubernetes/sliceipam-crd.yaml`",
    },
    "namespace-not-found": { exit: "storeNotFound", meaning: "the Kubernetes store's namespace does not exist" },
    "usage-not-observable": {
        exit: "storeNotFound",
        meaning: "the cluster has no WorkerSliceConfig resource type, so usage cannot be observed there (`SubnetUsage`, `sync-usage`)",
    },
    "slice-not-registered": {
        exit: "sliceNotFound",
        meaning: "an allocation, a copy or a command names a slice that has no `SliceIpam` in the store",
    },
    "corrupt-ledger": {
        exit: "corruptLedger",
        meaning: "a stored ledger document is not valid; it is left untouched (the message names the file or object)",
    },
    "slice-spec-mismatch": {
        exit: "failure",
        meaning: "a slice name is registered with another pool, or a copy finds the slice already in the target store with other contents",
    },
    "slice-overlap": { exit: "failure", meaning: "the pool overlaps another slice in the store" },
    "slice-has-active-allocations": { exit: "failure", meaning: "deleting or replacing a slice that clusters still use" },
    "no-available-subnets": {
        exit: "failure",
        meaning: "every subnet is allocated or reserved (the message says when the first reserved one frees up)",
    },
    "max-clusters-reached": { exit: "failure", meaning: "`maxClusters` clusters are active" },
    "unknown-cluster": {
        exit: "failure",
        meaning:
            "the cluster holds no allocation where one is needed: a `SubnetUsage` reports usage for a cluster whose `SubnetAllocation` is not created yet",
    },
    "allocation-not-in-store": {
        exit: "failure",
        meaning:
            "a `store` change finds the cluster's allocation missing (or another subnet) in the new store — copy the ledger there first ([Moving a file-store ledger into the cluster](stores.md#moving-a-file-store-ledger-into-the-cluster))",
    },
    "cluster-not-released": {
        exit: "usage",
        meaning:
            "`slice-ipam reclaim --cluster c --now` names a cluster that holds an active (Allocated or InUse) subnet, or none: an active subnet is released by removing the cluster with `pulumi up`",
    },
    "cluster-released": {
        exit: "failure",
        meaning: "a Released cluster marked `InUse` (the core refuses it; recording usage skips Released clusters, so it only shows a bug)",
    },
    "requested-subnet-invalid": {
        exit: "failure",
        meaning:
            "a `requestedSubnet` or pinned subnet is not a `subnetSize` block of the slice: not canonical CIDR, outside the pool, or of another size",
    },
    "requested-subnet-taken": {
        exit: "failure",
        meaning: "a pinned `requestedSubnet` is held by another cluster (a planned one falls back to first-fit with a warning instead)",
    },
    "requested-subnet-reserved": {
        exit: "failure",
        meaning: "a pinned `requestedSubnet` or pinned subnet lies inside one of the slice's `reservedRanges`",
    },
    "reserved-range-overlaps-held": {
        exit: "failure",
        meaning:
            "a newly added reserved range covers subnets clusters hold (Allocated, InUse or Released); the message names them. Set `acceptReservedOverlaps: true` to let them keep their subnets",
    },
    "planned-subnet-not-held": {
        exit: "failure",
        meaning:
            "with `planMustHold`, a planned subnet was taken (or reserved) after the preview; nothing was allocated, and the message names the holder and the subnet free now",
    },
    "ipv6-pool-unpairable": {
        exit: "failure",
        meaning:
            "the IPv6 pool added to a slice with clusters has no usable subnet (past its end, or reserved) at an index a cluster holds; the message names the clusters",
    },
    "requested-subnets-unpaired": {
        exit: "failure",
        meaning:
            "a cluster's IPv4 and IPv6 pins (`requestedSubnet`, `requestedSubnetIpv6`, `pinnedSubnets`) name different indexes; the message gives each",
    },
    "clusters-unplaceable": {
        exit: "failure",
        meaning: "the `KubeSliceIpam` component cannot place its clusters (the message lists each cluster's issue)",
    },
    "slice-disappeared": { exit: "failure", meaning: "a slice was removed from the store while the `KubeSliceIpam` component read it back" },
    "cidr-invalid": { exit: "failure", meaning: "a value that should already be validated is not canonical CIDR notation (a bug if seen)" },
    "ledger-conflict": { exit: "failure", meaning: "other writers kept winning every compare-and-swap for the retry window; nothing was written" },
    "ledger-changed-while-read": {
        exit: "failure",
        meaning: "another process kept replacing a slice's revisions or shards while it was read; try again",
    },
    "ledger-write-refused": {
        exit: "failure",
        meaning: "a change would write a ledger that does not read back as valid (a bug if seen); nothing was written",
    },
    "ledger-too-large": {
        exit: "failure",
        meaning: "a slice's ledger is over the API server's size limits (its shard list's annotations, or a request); nothing was written",
    },
    "store-unreadable": {
        exit: "failure",
        meaning: "the store or a ledger file in it exists but cannot be read (permissions, an I/O error, a directory where a file belongs)",
    },
    "store-write-failed": {
        exit: "failure",
        meaning: "the file store cannot write (read-only file system, permissions, a full disk); nothing was written",
    },
    "symlink-refused": { exit: "failure", meaning: "the file store met a symbolic link where its directory or a ledger file belongs" },
    "store-unreachable": {
        exit: "failure",
        meaning: "the API server did not answer (connection refused or lost, server errors, throttling) for the retry window",
    },
    "store-request-denied": {
        exit: "failure",
        meaning: "the API server refused the store's identity (401, 403): grant it the `kubeslice-ipam-store` role",
    },
    "store-request-failed": {
        exit: "failure",
        meaning: "the API server refused a request for another reason (e.g. 422, an object its CRDs reject); the message has its answer",
    },
    "history-setting-invalid": {
        exit: "failure",
        meaning: "`KUBESLICE_IPAM_HISTORY_MAX_EVENTS` or `KUBESLICE_IPAM_HISTORY_MAX_AGE_DAYS` is not a whole number of at least 1",
    },
    "retry-setting-invalid": { exit: "failure", meaning: "`KUBESLICE_IPAM_KUBERNETES_RETRY_SECONDS` is not a number of seconds" },
    "manifest-file-exists": {
        exit: "failure",
        meaning: "a `ManifestFile`'s path holds a file with other content that kubeslice-ipam did not write",
    },
    "manifest-file-changed": {
        exit: "failure",
        meaning: "a `ManifestFile` no longer holds what it wrote, so it is neither replaced nor removed: run `pulumi refresh`",
    },
    "unknown-type": { exit: "failure", meaning: "the native provider was asked for a resource or component type it does not provide" },
    "import-id-invalid": {
        exit: "failure",
        meaning: "a `pulumi import` id is not `<slice>` or `<slice>/<cluster>`, optionally with `@file:…` or `@kubernetes:…`",
    },
    "listen-failed": { exit: "failure", meaning: "`slice-ipam metrics` cannot listen on the `--listen` address" },
    "report-write-failed": { exit: "failure", meaning: "`slice-ipam report` cannot write its HTML file to the `--html` path" },
} as const satisfies Readonly<Record<string, ErrorCodeEntry>>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The messages of codes raised from more than one place: one wording each. */
export const ERROR_MESSAGES = {
    "slice-spec-mismatch": specMismatchMessage,
} as const satisfies { readonly [C in ErrorCode]?: (data: never) => string };
