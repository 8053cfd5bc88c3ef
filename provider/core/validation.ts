import { z } from "zod";
import { Cidr, cidrToString, isPrivateIpv4, IpVersion, parseCidr, PRIVATE_IPV4_RANGES } from "./cidr";
import { Issue, issueOf, quoted } from "./issues";
import { totalSubnets } from "./pool";
import { reservedRuns, runLength } from "./reserved";

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
 * IP versions a slice subnet may use. The maths is version-agnostic; IPv6
 * stays off until KubeSlice's worker data plane supports it.
 */
export const ENABLED_IP_VERSIONS: readonly IpVersion[] = [4];

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

/**
 * Checks a slice subnet; returns the parsed block or the user-facing reason.
 * Reasons follow the controller's webhook wording ("is not a private IP range").
 */
export function checkSliceSubnet(text: string): { ok: true; cidr: Cidr } | { ok: false; reason: string } {
    const echoed = quoted(text);
    const parsed = parseCidr(text);
    if (!parsed.ok) {
        if (parsed.failure.code === "host-bits-set") {
            return {
                ok: false,
                reason: `sliceSubnet ${echoed} has host bits set; did you mean "${parsed.failure.suggestion}"?`,
            };
        }
        return { ok: false, reason: `sliceSubnet ${echoed} is not valid CIDR notation (expected e.g. "10.1.0.0/16")` };
    }
    const cidr = parsed.cidr;
    if (!ENABLED_IP_VERSIONS.includes(cidr.version)) {
        return { ok: false, reason: `sliceSubnet ${echoed} is IPv${cidr.version}; only IPv4 slice subnets are supported` };
    }
    if (cidr.version === 4 && !isPrivateIpv4(cidr)) {
        return {
            ok: false,
            reason: `sliceSubnet ${echoed} is not a private IP range; use a block inside ${PRIVATE_IPV4_RANGES.join(", ")}`,
        };
    }
    if (cidr.prefix < SLICE_PREFIX_RANGE.min || cidr.prefix > SLICE_PREFIX_RANGE.max) {
        return {
            ok: false,
            reason:
                `sliceSubnet ${echoed} has prefix /${cidr.prefix}; the prefix must be between ` +
                `/${SLICE_PREFIX_RANGE.min} and /${SLICE_PREFIX_RANGE.max}`,
        };
    }
    return { ok: true, cidr };
}

const sliceSubnetSchema = z.string({ error: 'sliceSubnet must be a CIDR string such as "10.1.0.0/16"' }).check((ctx) => {
    const checked = checkSliceSubnet(ctx.value);
    if (!checked.ok) {
        ctx.issues.push({ code: "custom", message: checked.reason, input: ctx.value });
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
        return parsed.failure.code === "host-bits-set"
            ? `reservedRanges[${position}] ${echoed} has host bits set; did you mean "${parsed.failure.suggestion}"?`
            : `reservedRanges[${position}] ${echoed} is not valid CIDR notation (expected e.g. "10.1.0.0/24")`;
    }
    if (!ENABLED_IP_VERSIONS.includes(parsed.cidr.version)) {
        return `reservedRanges[${position}] ${echoed} is IPv${parsed.cidr.version}; only IPv4 ranges are supported`;
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
    subnetSize: integerInRange("subnetSize", SUBNET_SIZE_RANGE),
    gracePeriodSeconds: integerInRange("gracePeriodSeconds", GRACE_PERIOD_RANGE, " of seconds"),
    maxClusters: integerInRange("maxClusters", MAX_CLUSTERS_RANGE),
};

/**
 * Settings a stored ledger may lack: ledgers written before the setting
 * existed read as they did (no reserved ranges). Absent means none, not a default.
 */
const optionalSliceSpecShape = {
    reservedRanges: reservedRangesSchema.optional(),
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
): InputIssue | undefined {
    const checked = checkSliceSubnet(sliceSubnet);
    if (!checked.ok || !Number.isInteger(subnetSize) || subnetSize <= checked.cidr.prefix || reservedRanges === undefined) {
        return undefined;
    }
    const pool = { sliceSubnet: checked.cidr, subnetSize };
    if (runLength(reservedRuns(pool, reservedRanges)) < totalSubnets(pool)) {
        return undefined;
    }
    return {
        property: "reservedRanges",
        message: `reservedRanges cover every /${subnetSize} subnet of ${cidrToString(checked.cidr)}, so no cluster could join; reserve less of the pool`,
    };
}

/**
 * The rule that spans two properties: each subnet must be smaller than the
 * slice subnet. Returns the issue, reported on `subnetSize`, or undefined.
 */
export function checkSubnetSizeFitsSlice(sliceSubnet: string, subnetSize: number): InputIssue | undefined {
    const checked = checkSliceSubnet(sliceSubnet);
    if (!checked.ok || !Number.isInteger(subnetSize)) {
        return undefined; // already reported on the property itself
    }
    const prefix = checked.cidr.prefix;
    if (subnetSize > prefix) {
        return undefined;
    }
    // Slice prefixes stop at /28, so a longer example always exists.
    const example = Math.min(Math.max(prefix + 8, SUBNET_SIZE_RANGE.min), SUBNET_SIZE_RANGE.max);
    return {
        property: "subnetSize",
        message:
            `subnetSize ${subnetSize} must be longer than the sliceSubnet prefix /${prefix} of ` +
            `"${cidrToString(checked.cidr)}" (e.g. ${example} gives ${2 ** (example - prefix)} subnets)`,
    };
}

function subnetSizeFits(ctx: z.core.ParsePayload<{ sliceSubnet: string; subnetSize: number }>): void {
    const issue = checkSubnetSizeFitsSlice(ctx.value.sliceSubnet, ctx.value.subnetSize);
    if (issue !== undefined) {
        ctx.issues.push({ code: "custom", path: [issue.property], input: ctx.value.subnetSize, message: issue.message });
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
