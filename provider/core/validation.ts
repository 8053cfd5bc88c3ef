import { z } from "zod";
import {
    Cidr,
    CidrParseFailure,
    cidrToString,
    isPrivateIpv4,
    isUniqueLocalIpv6,
    IpVersion,
    parseCidr,
    PRIVATE_IPV4_RANGES,
    UNIQUE_LOCAL_IPV6_RANGE,
} from "./cidr";
import { Issue, issueOf, quoted } from "./issues";
import { runLength } from "./reserved";
import { pairedIndexable, pairedReservedRuns, pairedSize, slicePoolsOf } from "./slice-pools";

export const DEFAULT_SUBNET_SIZE = 24;
/** The guide's fixed 24 h; here only a default. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;
/** The guide's per-slice limit on active allocations. */
export const DEFAULT_MAX_CLUSTERS = 4_096;

export const SLICE_PREFIX_RANGE = { min: 8, max: 28 } as const;
export const SUBNET_SIZE_RANGE = { min: 16, max: 30 } as const;
export const MAX_CLUSTERS_RANGE = { min: 1, max: DEFAULT_MAX_CLUSTERS } as const;
/** A year: longer grace periods would keep subnets out of use for no good reason. */
export const GRACE_PERIOD_RANGE = { min: 0, max: 31_536_000 } as const;

/**
 * IPv6 slice prefixes: /8 (fd00::/8, the locally assigned half of fc00::/7)
 * to /118, so that even the smallest slice holds four of the smallest subnets,
 * as IPv4's /28 of /30s does.
 */
export const IPV6_SLICE_PREFIX_RANGE = { min: 8, max: 118 } as const;
/**
 * IPv6 cluster subnets: /48, a whole site (RFC 6177, and what one RFC 4193
 * global ID gives), down to /120, the per-node block of Cilium's default
 * IPv6 cluster pool (a cluster smaller than one node's block is no cluster).
 * /64 (a Kubernetes node's default IPv6 pod range) and /104 (Cilium's default
 * cluster pool) lie between.
 */
export const IPV6_SUBNET_SIZE_RANGE = { min: 48, max: 120 } as const;

/** The rules of one IP version: where a slice subnet may lie and the prefix lengths allowed. */
export interface FamilyRules {
    readonly version: IpVersion;
    /** The "private" rule: the ranges a slice subnet must lie inside. */
    readonly privateRanges: readonly string[];
    readonly isPrivate: (cidr: Cidr) => boolean;
    readonly slicePrefix: { readonly min: number; readonly max: number };
    readonly subnetSize: { readonly min: number; readonly max: number };
    /** A valid slice subnet, quoted in messages. */
    readonly example: string;
}

/** The rules of each IP version a slice subnet may use: one table, so each rule is written once for both. */
export const FAMILY_RULES: { readonly [V in IpVersion]: FamilyRules } = {
    4: {
        version: 4,
        privateRanges: PRIVATE_IPV4_RANGES,
        isPrivate: isPrivateIpv4,
        slicePrefix: SLICE_PREFIX_RANGE,
        subnetSize: SUBNET_SIZE_RANGE,
        example: "10.1.0.0/16",
    },
    6: {
        version: 6,
        privateRanges: [UNIQUE_LOCAL_IPV6_RANGE],
        isPrivate: isUniqueLocalIpv6,
        slicePrefix: IPV6_SLICE_PREFIX_RANGE,
        subnetSize: IPV6_SUBNET_SIZE_RANGE,
        example: "fd00:10::/48",
    },
};

/** Every subnetSize some IP version allows: what the property alone is checked against. */
const ANY_SUBNET_SIZE_RANGE = { min: SUBNET_SIZE_RANGE.min, max: IPV6_SUBNET_SIZE_RANGE.max } as const;

// Slice and cluster names become file names and Kubernetes object names, so
// they must be DNS-1123 labels; that also keeps "../x" off the disk.
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL_MAX = 63;

/** True when `name` is a DNS-1123 label (RFC 1123, as Kubernetes defines it). */
export function isDnsLabel(name: string): boolean {
    return name.length <= DNS_1123_LABEL_MAX && DNS_1123_LABEL.test(name);
}

/**
 * A slice name a store may use as a file or object name. Inputs are checked
 * long before, so reaching a store with another name is a caller's bug; the
 * stores refuse it rather than touch a path like `../x`.
 */
export function sliceNameIssue(sliceName: string): Issue<"slice-name-invalid"> | undefined {
    return isDnsLabel(sliceName) ? undefined : issueOf({ code: "slice-name-invalid", sliceName });
}

/** Why `value` is not a DNS-1123 label, naming `field`: the one wording of the rule, wherever it is checked. */
export function dnsLabelMessage(field: string, value: unknown): string {
    return (
        `${field} ${quoted(value)} is not a valid DNS-1123 label: use 1-63 lowercase ` +
        `letters, digits or '-', starting and ending with a letter or digit (e.g. "cluster-1")`
    );
}

/** Schema of a slice or cluster name; `field` names the property in messages. */
export function dnsLabelSchema(field: string) {
    return z.string({ error: `${field} must be a string` }).refine(isDnsLabel, { error: (issue) => dnsLabelMessage(field, issue.input) });
}

/** Why a CIDR text did not parse, for the property named in `subject` (e.g. `sliceSubnet "x"`). */
function cidrFailureMessage(subject: string, failure: CidrParseFailure, example: string): string {
    switch (failure.code) {
        case "host-bits-set":
            return `${subject} has host bits set; did you mean "${failure.suggestion}"?`;
        case "not-canonical":
            return `${subject} is not written in canonical form (RFC 5952: lower case, zeros compressed); did you mean "${failure.suggestion}"?`;
        default:
            return `${subject} is not valid CIDR notation (expected e.g. "${example}")`;
    }
}

/**
 * Checks a slice subnet; returns the parsed block or the user-facing reason.
 * Reasons follow the controller's webhook wording ("is not a private IP range").
 */
export function checkSliceSubnet(text: string, field = "sliceSubnet"): { ok: true; cidr: Cidr } | { ok: false; reason: string } {
    const echoed = quoted(text);
    const parsed = parseCidr(text);
    if (!parsed.ok) {
        return {
            ok: false,
            reason: cidrFailureMessage(`${field} ${echoed}`, parsed.failure, field === "sliceSubnet" ? "10.1.0.0/16" : "fd00:10::/48"),
        };
    }
    const cidr = parsed.cidr;
    const rules = FAMILY_RULES[cidr.version];
    if (!rules.isPrivate(cidr)) {
        const kind = cidr.version === 4 ? "a private IP range" : "a unique local IPv6 range";
        return {
            ok: false,
            reason: `${field} ${echoed} is not ${kind}; use a block inside ${rules.privateRanges.join(", ")} (e.g. "${rules.example}")`,
        };
    }
    if (cidr.prefix < rules.slicePrefix.min || cidr.prefix > rules.slicePrefix.max) {
        return {
            ok: false,
            reason:
                `${field} ${echoed} has prefix /${cidr.prefix}; the prefix ${cidr.version === 4 ? "" : "of an IPv6 slice subnet "}must be between ` +
                `/${rules.slicePrefix.min} and /${rules.slicePrefix.max}`,
        };
    }
    return { ok: true, cidr };
}

const sliceSubnetSchema = z.string({ error: 'sliceSubnet must be a CIDR string such as "10.1.0.0/16"' }).check((ctx) => {
    const checked = checkSliceSubnet(ctx.value);
    if (!checked.ok) {
        // Continuable: the rules across properties still run, so a subnetSize wrong for the version is reported too.
        ctx.issues.push({ code: "custom", message: checked.reason, input: ctx.value, continue: true });
    }
});

/**
 * The IPv6 pool of a dual-stack slice: an IPv6 slice subnet under the same
 * rules as an IPv6 `sliceSubnet`. Only IPv6: a dual-stack slice's IPv4 pool
 * is its `sliceSubnet`, so either pool is named by its family.
 */
const sliceSubnetIpv6Schema = z.string({ error: 'sliceSubnetIpv6 must be a CIDR string such as "fd00:10::/48"' }).check((ctx) => {
    const checked = checkSliceSubnet(ctx.value, "sliceSubnetIpv6");
    if (!checked.ok) {
        ctx.issues.push({ code: "custom", message: checked.reason, input: ctx.value, continue: true });
    } else if (checked.cidr.version !== 6) {
        ctx.issues.push({
            code: "custom",
            message:
                `sliceSubnetIpv6 ${quoted(ctx.value)} is an IPv4 block; sliceSubnetIpv6 is the IPv6 pool of a dual-stack slice ` +
                `(a block inside ${UNIQUE_LOCAL_IPV6_RANGE}, e.g. "${FAMILY_RULES[6].example}"), its IPv4 pool is sliceSubnet`,
            input: ctx.value,
        });
    }
});

function integerInRange(field: string, range: { min: number; max: number }, unit = "") {
    const message = `${field} must be a whole number${unit} between ${range.min} and ${range.max}`;
    return z
        .number({ error: message })
        .int({ error: (issue) => `${message}; got ${issue.input}` })
        .min(range.min, { error: (issue) => `${message}; got ${issue.input}` })
        .max(range.max, { error: (issue) => `${message}; got ${issue.input}` });
}

/**
 * subnetSize on its own: a whole number some IP version allows. The range of
 * the slice's own version is a rule across properties ({@link checkSubnetSizeFitsSlice}).
 */
function subnetSizeSchema() {
    const v4 = SUBNET_SIZE_RANGE;
    const v6 = IPV6_SUBNET_SIZE_RANGE;
    const message = `subnetSize must be a whole number between ${v4.min} and ${v4.max} (IPv4) or ${v6.min} and ${v6.max} (IPv6)`;
    return z
        .number({ error: message })
        .int({ error: (issue) => `${message}; got ${issue.input}` })
        .min(ANY_SUBNET_SIZE_RANGE.min, { error: (issue) => `${message}; got ${issue.input}` })
        .max(ANY_SUBNET_SIZE_RANGE.max, { error: (issue) => `${message}; got ${issue.input}` });
}

/** Most reserved ranges a slice may list: they are stored in the Kubernetes store's head annotation. */
export const RESERVED_RANGES_LIMIT = 256;

/** Why one reserved range is not usable, or undefined. Ranges may lie anywhere, private or not: only the pool's part counts. */
export function reservedRangeProblem(value: unknown, position: number): string | undefined {
    const echoed = quoted(value);
    if (typeof value !== "string") {
        return `reservedRanges[${position}] ${echoed} must be a CIDR string such as "10.1.0.0/24"`;
    }
    const parsed = parseCidr(value);
    if (!parsed.ok) {
        return cidrFailureMessage(`reservedRanges[${position}] ${echoed}`, parsed.failure, "10.1.0.0/24");
    }
    return undefined;
}

const reservedRangesSchema = z
    .array(z.unknown(), { error: 'reservedRanges must be a list of CIDR strings such as ["10.1.0.0/24"]' })
    .check((ctx) => {
        const problems = ctx.value.map(reservedRangeProblem).filter((problem) => problem !== undefined);
        if (ctx.value.length > RESERVED_RANGES_LIMIT) {
            problems.push(`reservedRanges lists ${ctx.value.length} ranges; at most ${RESERVED_RANGES_LIMIT} are allowed (merge adjacent ones)`);
        }
        if (problems.length > 0) {
            ctx.issues.push({ code: "custom", message: problems.join("; "), input: ctx.value });
        }
    })
    .transform((ranges) => ranges as string[]);

/** Per-property schemas of a slice's settings, every one required: what a stored ledger must hold. */
const storedSliceSpecShape = {
    sliceName: dnsLabelSchema("sliceName"),
    sliceSubnet: sliceSubnetSchema,
    subnetSize: subnetSizeSchema(),
    gracePeriodSeconds: integerInRange("gracePeriodSeconds", GRACE_PERIOD_RANGE, " of seconds"),
    maxClusters: integerInRange("maxClusters", MAX_CLUSTERS_RANGE),
};

/**
 * Settings a stored ledger may lack: ledgers written before the setting
 * existed read as they did (no reserved ranges). Absent means none, not a default.
 */
const optionalSliceSpecShape = {
    reservedRanges: reservedRangesSchema.optional(),
    /** Absent: a single-stack slice, as every ledger written before dual-stack slices. */
    sliceSubnetIpv6: sliceSubnetIpv6Schema.optional(),
    subnetSizeIpv6: integerInRange("subnetSizeIpv6", IPV6_SUBNET_SIZE_RANGE).optional(),
};

/** Per-property schemas of a slice's settings as inputs. Defaults are applied: to inputs only, never to stored state. */
export const sliceSpecShape = {
    ...storedSliceSpecShape,
    ...optionalSliceSpecShape,
    subnetSize: storedSliceSpecShape.subnetSize.default(DEFAULT_SUBNET_SIZE),
    gracePeriodSeconds: storedSliceSpecShape.gracePeriodSeconds.default(DEFAULT_GRACE_PERIOD_SECONDS),
    maxClusters: storedSliceSpecShape.maxClusters.default(DEFAULT_MAX_CLUSTERS),
};

/** The names of a slice's settings: a stored ledger missing any of them is corrupt. */
export const SLICE_SETTINGS = Object.keys(storedSliceSpecShape) as readonly (keyof typeof storedSliceSpecShape)[];

/**
 * A rule across properties: reserved ranges may not cover every subnet of the
 * pool, or no cluster could ever join. Reported on `reservedRanges`.
 */
export function checkReservedRangesLeaveRoom(
    sliceSubnet: string,
    subnetSize: number,
    reservedRanges: readonly string[] | undefined,
    ipv6: Omit<Ipv6PoolSettings, "sliceSubnet"> = {},
): InputIssue | undefined {
    const checked = checkSliceSubnet(sliceSubnet);
    if (!checked.ok || !Number.isInteger(subnetSize) || subnetSize <= checked.cidr.prefix || reservedRanges === undefined) {
        return undefined;
    }
    const dualStack = ipv6.sliceSubnetIpv6 !== undefined && ipv6.subnetSizeIpv6 !== undefined;
    if (dualStack && checkIpv6Pool({ sliceSubnet, ...ipv6 }).length > 0) {
        return undefined; // the IPv6 pool's own problem is reported on it
    }
    const pools = slicePoolsOf(dualStack ? { sliceSubnet, subnetSize, ...ipv6 } : { sliceSubnet, subnetSize });
    const indexable = pairedIndexable(pools);
    if (runLength(pairedReservedRuns(pools, reservedRanges)) < indexable) {
        return undefined;
    }
    const which = BigInt(indexable) < pairedSize(pools) ? `indexable /${subnetSize} subnet (the first 2^53)` : `/${subnetSize} subnet`;
    const message = dualStack
        ? `reservedRanges leave no index usable in both pools: every /${subnetSize} subnet of ${cidrToString(checked.cidr)} or its ` +
          `paired /${ipv6.subnetSizeIpv6} subnet of ${ipv6.sliceSubnetIpv6} is reserved, so no cluster could join; reserve less of the pools`
        : `reservedRanges cover every ${which} of ${cidrToString(checked.cidr)}, so no cluster could join; reserve less of the pool`;
    return { property: "reservedRanges", message };
}

/**
 * The rules that span two properties: subnetSize must be in the range of the
 * slice subnet's IP version, and each subnet smaller than the slice subnet.
 * Returns the issue, reported on `subnetSize`, or undefined.
 */
export function checkSubnetSizeFitsSlice(
    sliceSubnet: string,
    subnetSize: number,
    sliceField = "sliceSubnet",
    sizeField = "subnetSize",
): InputIssue | undefined {
    // The version and prefix are known once the text parses, even when the slice subnet breaks another rule.
    const checked = parseCidr(sliceSubnet);
    if (!checked.ok || !Number.isInteger(subnetSize) || subnetSize < ANY_SUBNET_SIZE_RANGE.min || subnetSize > ANY_SUBNET_SIZE_RANGE.max) {
        return undefined; // already reported on the property itself
    }
    const rules = FAMILY_RULES[checked.cidr.version];
    const range = rules.subnetSize;
    const prefix = checked.cidr.prefix;
    // A slice prefix is at least two shorter than the longest subnet, so a longer example always exists.
    const example = Math.min(Math.max(prefix + 8, range.min), range.max);
    if (subnetSize < range.min || subnetSize > range.max) {
        return {
            property: sizeField,
            message:
                `${sizeField} must be a whole number between ${range.min} and ${range.max} for an IPv${rules.version} ${sliceField} ` +
                `such as "${cidrToString(checked.cidr)}"; got ${subnetSize} (e.g. ${example})`,
        };
    }
    if (subnetSize > prefix || !checkSliceSubnet(sliceSubnet, sliceField).ok) {
        return undefined; // the slice subnet's own problem is reported on it
    }
    return {
        property: sizeField,
        message:
            `${sizeField} ${subnetSize} must be longer than the ${sliceField} prefix /${prefix} of ` +
            `"${cidrToString(checked.cidr)}" (e.g. ${example} gives ${countText(1n << BigInt(example - prefix))} subnets)`,
    };
}

/** The properties of a dual-stack slice's IPv6 pool, as a cross-property rule reads them. */
export interface Ipv6PoolSettings {
    readonly sliceSubnet: string;
    readonly sliceSubnetIpv6?: string;
    readonly subnetSizeIpv6?: number;
}

/**
 * The rules of a dual-stack slice's IPv6 pool across properties: its subnet and
 * size come together, `sliceSubnet` is then the IPv4 pool, and each IPv6
 * subnet is smaller than the IPv6 pool. One issue per property at most.
 */
export function checkIpv6Pool(settings: Ipv6PoolSettings): InputIssue[] {
    const { sliceSubnet, sliceSubnetIpv6, subnetSizeIpv6 } = settings;
    if (sliceSubnetIpv6 === undefined) {
        return subnetSizeIpv6 === undefined
            ? []
            : [
                  {
                      property: "subnetSizeIpv6",
                      message: `subnetSizeIpv6 ${subnetSizeIpv6} is set without sliceSubnetIpv6; set both (a dual-stack slice) or neither`,
                  },
              ];
    }
    const issues: InputIssue[] = [];
    const primary = parseCidr(sliceSubnet);
    if (primary.ok && primary.cidr.version === 6) {
        issues.push({
            property: "sliceSubnetIpv6",
            message:
                `sliceSubnetIpv6 is the IPv6 pool of a dual-stack slice whose sliceSubnet is IPv4, but sliceSubnet ${quoted(sliceSubnet)} ` +
                `is IPv6; for a dual-stack slice set sliceSubnet to its IPv4 pool (e.g. "${FAMILY_RULES[4].example}"), or drop sliceSubnetIpv6`,
        });
    }
    if (subnetSizeIpv6 === undefined) {
        issues.push({ property: "subnetSizeIpv6", message: `subnetSizeIpv6 is required with sliceSubnetIpv6 ${quoted(sliceSubnetIpv6)} (e.g. 64)` });
        return issues;
    }
    const fits = checkSubnetSizeFitsSlice(sliceSubnetIpv6, subnetSizeIpv6, "sliceSubnetIpv6", "subnetSizeIpv6");
    return fits === undefined ? issues : [...issues, fits];
}

/** A count in messages: digits up to 2^20, else as a power of two. */
function countText(count: bigint): string {
    return count <= 1n << 20n ? count.toString() : `2^${count.toString(2).length - 1}`;
}

function subnetSizeFits(ctx: z.core.ParsePayload<{ sliceSubnet: string; subnetSize: number } & Omit<Ipv6PoolSettings, "sliceSubnet">>): void {
    const issue = checkSubnetSizeFitsSlice(ctx.value.sliceSubnet, ctx.value.subnetSize);
    for (const found of [...(issue === undefined ? [] : [issue]), ...checkIpv6Pool(ctx.value)]) {
        ctx.issues.push({ code: "custom", path: [found.property], input: ctx.value, message: found.message });
    }
}

/** The settings of one slice, as the user declares them. Defaults are applied. */
export const sliceSpecSchema = z.object(sliceSpecShape).check(subnetSizeFits);

/** The settings of one slice as a store holds them: every required one present, none defaulted. */
export const storedSliceSpecSchema = z.object({ ...storedSliceSpecShape, ...optionalSliceSpecShape }).check(subnetSizeFits);

export type SliceSpecInput = z.input<typeof sliceSpecSchema>;
export type SliceSpec = z.output<typeof sliceSpecSchema>;

/** One problem with an input property, in a form any front end can render. */
export interface InputIssue {
    /** Top-level property the problem belongs to ("" for the whole input). */
    readonly property: string;
    readonly message: string;
}

/** Flattens zod issues to one entry per top-level property, messages joined. */
export function issuesByProperty(error: z.ZodError): InputIssue[] {
    const grouped = new Map<string, string[]>();
    for (const issue of error.issues) {
        const property = issue.path.length > 0 ? String(issue.path[0]) : "";
        const messages = grouped.get(property) ?? [];
        if (!messages.includes(issue.message)) {
            messages.push(issue.message);
        }
        grouped.set(property, messages);
    }
    return [...grouped].map(([property, messages]) => ({ property, message: messages.join("; ") }));
}
