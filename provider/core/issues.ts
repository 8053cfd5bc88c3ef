import { exactCount, INDEXABLE_SUBNETS, SubnetIndexFailure } from "./pool";

/**
 * Expected failures of the core's rules, as data: a literal `code` and the
 * fields a caller may act on (`heldBy`, `index`, …). Text is derived from
 * them by {@link ISSUE_MESSAGES}, the one place user-facing wording lives.
 */
export type IssueData =
    | {
          readonly code: "no-available-subnets";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly sliceSubnet: string;
          readonly subnetSize: number;
          readonly totalSubnets: number;
          /** True for a plan: subnets planned for other clusters count as taken. */
          readonly planned: boolean;
          /** Released subnets still reserved for their clusters, and when the first returns to the pool (ISO-8601). */
          readonly reserved?: { readonly releasedSubnets: number; readonly firstReturnAt: string };
      }
    | {
          readonly code: "max-clusters-reached";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly activeClusters: number;
          /** A plan's view: the limit, and the clusters listed before this one that join too. */
          readonly maxClusters?: number;
          readonly joiningBefore?: number;
      }
    | { readonly code: "unknown-cluster"; readonly sliceName: string; readonly clusterName: string }
    | {
          readonly code: "cluster-released";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly subnet: string;
          readonly releasedAt?: string;
      }
    | {
          readonly code: "requested-subnet-invalid";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly subnet: string;
          readonly reason: RequestedSubnetFailure;
          readonly sliceSubnet: string;
          readonly subnetSize: number;
      }
    | {
          readonly code: "requested-subnet-taken";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly subnet: string;
          readonly index: number;
          readonly heldBy: string;
      }
    | {
          readonly code: "requested-subnet-reserved";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly subnet: string;
          /** The reserved range (as given) that covers the subnet. */
          readonly reservedBy: string;
      }
    | {
          readonly code: "reserved-range-overlaps-held";
          readonly sliceName: string;
          /** A newly added reserved range, as given. */
          readonly range: string;
          /** The clusters holding (Allocated, InUse or Released in grace) subnets it covers, with their subnets. */
          readonly holders: readonly { readonly clusterName: string; readonly subnet: string }[];
      }
    | {
          readonly code: "planned-subnet-not-held";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly plannedSubnet: string;
          /** Who took the planned subnet after the preview: a cluster, or a reserved range added meanwhile. */
          readonly heldBy?: string;
          readonly reservedBy?: string;
          /** The subnet first-fit would give now, if any. */
          readonly freeSubnet?: string;
      }
    | {
          readonly code: "slice-overlap";
          readonly sliceName: string;
          readonly sliceSubnet: string;
          readonly otherSliceName: string;
          readonly otherSliceSubnet: string;
          /** The store holding the other slice, e.g. `file store /repo/.slice-ipam`. */
          readonly store: string;
          /** True when a copy between stores was refused (nothing copied) rather than a registration. */
          readonly copying: boolean;
      }
    | {
          readonly code: "cluster-not-released";
          readonly sliceName: string;
          readonly clusterName: string;
          /** The cluster's subnet and status, when it holds one. */
          readonly held?: { readonly subnet: string; readonly status: "Allocated" | "InUse" };
      }
    | { readonly code: "slice-name-invalid"; readonly sliceName: string }
    | {
          readonly code: "ipv6-pool-unpairable";
          readonly sliceName: string;
          readonly sliceSubnetIpv6: string;
          readonly subnetSizeIpv6: number;
          /** Clusters whose index has no usable IPv6 subnet: past the IPv6 pool's end, or inside a reserved range (as given). */
          readonly holders: readonly {
              readonly clusterName: string;
              readonly subnet: string;
              readonly index: number;
              readonly reservedBy?: string;
          }[];
      }
    | {
          readonly code: "requested-subnets-unpaired";
          readonly sliceName: string;
          readonly clusterName: string;
          readonly subnet: string;
          readonly index: number;
          readonly subnetIpv6: string;
          readonly indexIpv6: number;
      };

/** Why a requested subnet is not one a cluster can hold: not a block of its pool, or (dual-stack) an index the other pool lacks. */
export type RequestedSubnetFailure = SubnetIndexFailure | "unpaired";

export type IssueCode = IssueData["code"];

/** An issue with its rendered message, as zod's issues carry theirs. */
export type Issue<C extends IssueCode = IssueCode> = Extract<IssueData, { readonly code: C }> & { readonly message: string };

type Templates = { readonly [C in IssueCode]: (issue: Extract<IssueData, { readonly code: C }>) => string };

const REQUEST_REASONS: { readonly [R in RequestedSubnetFailure]: (pool: string, subnetSize: number) => string } = {
    unpaired: (pool) =>
        `is a block of ${pool}, but past the end of the dual-stack slice's other pool: a cluster holds the subnets ` +
        `at one index in both pools, so only indexes both pools have can be handed out`,
    "not-cidr": () => "is not canonical CIDR notation",
    "outside-pool": (pool) => `is outside the pool of ${pool}`,
    "wrong-size": (pool, subnetSize) => `is not a /${subnetSize} block of ${pool}`,
    "beyond-indexes": (pool) =>
        `is past the first 2^53 (${exactCount(INDEXABLE_SUBNETS)}) subnets of ${pool}, the only ones that can be handed out ` +
        `(subnet indexes are exact numbers only below 2^53)`,
};

/** The most characters of a user's value that a message quotes. */
export const QUOTE_LIMIT = 100;

/**
 * A value a user gave, as messages quote it: JSON, cut to about
 * {@link QUOTE_LIMIT} characters with an ellipsis and the full length, so
 * that a huge input (a 1,000,000-character name) never makes a huge message.
 */
export function quoted(value: unknown): string {
    if (typeof value === "string") {
        return value.length > QUOTE_LIMIT ? `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}… (${value.length} characters)` : JSON.stringify(value);
    }
    const text = JSON.stringify(value) ?? String(value);
    return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}… (${text.length} characters)` : text;
}

/** Every message the core's issues render to, by code. */
export const ISSUE_MESSAGES: Templates = {
    "no-available-subnets": (issue) =>
        `slice "${issue.sliceName}" has no available subnets for cluster "${issue.clusterName}": all ` +
        `${exactCount(issue.totalSubnets)} /${issue.subnetSize} subnets of ${issue.sliceSubnet} are taken${issue.planned ? " or planned" : ""}.` +
        (issue.reserved === undefined
            ? ""
            : ` ${issue.reserved.releasedSubnets} of them are Released and reserved for their clusters; ` +
              `the first returns to the pool at ${issue.reserved.firstReturnAt}.`) +
        ` Remove unused clusters, or create a new slice with a larger sliceSubnet.`,
    "max-clusters-reached": (issue) =>
        issue.joiningBefore === undefined
            ? `slice "${issue.sliceName}" already has ${issue.activeClusters} active clusters, its maxClusters limit; ` +
              `cluster "${issue.clusterName}" cannot join. Remove unused clusters or raise maxClusters.`
            : `cluster "${issue.clusterName}" cannot join slice "${issue.sliceName}": its maxClusters limit is ${issue.maxClusters} ` +
              `active clusters: ${issue.activeClusters} active now and ${issue.joiningBefore} joining before it in the clusters list. ` +
              `Remove unused clusters or raise maxClusters.`,
    "unknown-cluster": (issue) => `slice "${issue.sliceName}" has no allocation for cluster "${issue.clusterName}"; allocate one first`,
    "cluster-released": (issue) =>
        `cluster "${issue.clusterName}" released its subnet ${issue.subnet} in slice "${issue.sliceName}" at ` +
        `${issue.releasedAt}; allocate again before marking it in use`,
    "requested-subnet-invalid": (issue) => {
        const pool = `slice "${issue.sliceName}" (${issue.sliceSubnet}, /${issue.subnetSize} subnets)`;
        return (
            `pinned subnet ${issue.subnet} for cluster "${issue.clusterName}" ${REQUEST_REASONS[issue.reason](pool, issue.subnetSize)}; ` +
            `pin a /${issue.subnetSize} block inside ${issue.sliceSubnet}, or remove the pin`
        );
    },
    "requested-subnet-taken": (issue) =>
        `pinned subnet ${issue.subnet} for cluster "${issue.clusterName}" is already held by cluster "${issue.heldBy}" ` +
        `in slice "${issue.sliceName}"; pin another subnet or remove the pin`,
    "requested-subnet-reserved": (issue) =>
        `pinned subnet ${issue.subnet} for cluster "${issue.clusterName}" is inside reserved range ${issue.reservedBy} ` +
        `of slice "${issue.sliceName}"; pin a subnet outside the reservedRanges, or remove the pin`,
    "reserved-range-overlaps-held": (issue) =>
        `reserved range ${issue.range} of slice "${issue.sliceName}" overlaps subnets held by ` +
        issue.holders.map((holder) => `cluster "${holder.clusterName}" (${holder.subnet})`).join(", ") +
        `; remove those clusters first, narrow the range, or set acceptReservedOverlaps: true to let them keep their ` +
        `subnets (nothing new is allocated in the range; slice-ipam check lists them)`,
    "planned-subnet-not-held": (issue) =>
        `slice "${issue.sliceName}": the planned subnet ${issue.plannedSubnet} for cluster "${issue.clusterName}" ` +
        (issue.reservedBy !== undefined
            ? `is now inside reserved range ${issue.reservedBy}`
            : `was taken by cluster "${issue.heldBy}" after the preview`) +
        `, and planMustHold is set, so nothing was allocated. ` +
        (issue.freeSubnet === undefined ? `No subnet is free now. ` : `The lowest free subnet now is ${issue.freeSubnet}. `) +
        `Run the preview again and review the new plan, then run up.`,
    "slice-overlap": (issue) =>
        `slice "${issue.sliceName}": sliceSubnet ${issue.sliceSubnet} overlaps sliceSubnet ${issue.otherSliceSubnet} of ` +
        `slice "${issue.otherSliceName}" in ${issue.store}` +
        (issue.copying ? `; nothing was copied for "${issue.sliceName}"` : `. Choose a sliceSubnet that overlaps no other slice.`),
    "cluster-not-released": (issue) =>
        issue.held === undefined
            ? `slice "${issue.sliceName}" holds no subnet for cluster "${issue.clusterName}": nothing to reclaim. ` +
              `Run slice-ipam show ${issue.sliceName} to list its clusters.`
            : `cluster "${issue.clusterName}" holds ${issue.held.subnet} in slice "${issue.sliceName}" as ${issue.held.status}, ` +
              `not Released: only a Released subnet can be reclaimed early. Remove the cluster from the slice with ` +
              `pulumi up first (its SubnetAllocation's delete releases the subnet), then reclaim it.`,
    "slice-name-invalid": (issue) => `refusing slice name ${quoted(issue.sliceName)}: not a DNS-1123 label`,
    "ipv6-pool-unpairable": (issue) =>
        `slice "${issue.sliceName}": the IPv6 pool ${issue.sliceSubnetIpv6} (/${issue.subnetSizeIpv6} subnets) has no usable subnet ` +
        `paired with ` +
        issue.holders
            .map(
                (holder) =>
                    `cluster "${holder.clusterName}" (${holder.subnet}, index ${holder.index}: ` +
                    (holder.reservedBy === undefined ? `past the pool's end)` : `inside reserved range ${holder.reservedBy})`),
            )
            .join(", ") +
        `; every cluster keeps its index and gets the IPv6 subnet at the same index, so choose a larger sliceSubnetIpv6 or a ` +
        `subnetSizeIpv6 that gives more subnets, or narrow the reserved ranges, then run the preview again`,
    "requested-subnets-unpaired": (issue) =>
        `the pins of cluster "${issue.clusterName}" in slice "${issue.sliceName}" name different indexes: ${issue.subnet} is ` +
        `index ${issue.index}, ${issue.subnetIpv6} is index ${issue.indexIpv6}; a cluster holds the subnets of one index in both ` +
        `pools, so pin the pair of one index, or pin one family only`,
};

/** The issue with its message rendered from {@link ISSUE_MESSAGES}. */
export function issueOf<D extends IssueData>(data: D): D & { readonly message: string } {
    const template = ISSUE_MESSAGES[data.code] as (issue: D) => string;
    return { ...data, message: template(data) };
}
