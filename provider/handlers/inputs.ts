import { z } from "zod";
import { parseCidr } from "../core/cidr";
import { quoted } from "../core/issues";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { dnsLabelSchema, InputIssue, issuesByProperty, sliceSpecShape } from "../core/validation";
import { storeSpecSchema } from "../store/store-spec";

/**
 * Pulumi's placeholder for a value not known until apply (preview of a
 * property computed from another resource). Such properties cannot be checked
 * yet; the engine calls `check` again once they are known.
 */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN_VALUE) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(containsUnknown);
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).some(containsUnknown);
    }
    return false;
}

export interface CheckedInputs {
    /** Known properties decoded (defaults applied); unknown ones passed through. */
    readonly inputs: Record<string, unknown>;
    /** One issue per bad property. */
    readonly issues: InputIssue[];
}

/**
 * Property values as the engine passes them to a provider: inputs before
 * `check` decodes them, or outputs read back from state. Never trusted as
 * typed until decoded.
 */
export type Properties = Readonly<Record<string, unknown>>;

/** Per-property schemas of a resource's inputs. */
export type Shape = Record<string, z.ZodType>;

/** The decoded inputs a shape describes: the types are the schemas' own, never restated. */
export type InputsOf<S extends Shape> = Readonly<z.output<z.ZodObject<S>>>;

/** A rule across properties: `known` holds the valid ones, `given` every one as given (for a rule that applies even to an invalid value). */
type CrossCheck = (known: Record<string, unknown>, given: Properties) => InputIssue | undefined;

/**
 * Validates each declared property on its own, so every bad property gets its
 * own failure and an unknown property never hides a problem with a known one.
 * Cross-property rules run when the properties they read are known and valid.
 * Undeclared properties are dropped.
 */
export function checkProperties(shape: Shape, news: Properties, crossChecks: CrossCheck[] = []): CheckedInputs {
    const inputs: Record<string, unknown> = {};
    const issues: InputIssue[] = [];
    const valid: Record<string, unknown> = {};
    for (const [property, schema] of Object.entries(shape)) {
        const value = news[property];
        if (containsUnknown(value)) {
            inputs[property] = value;
            continue;
        }
        const parsed = propertyObject(property, schema).safeParse({ [property]: value });
        if (parsed.success) {
            const decoded = (parsed.data as Record<string, unknown>)[property];
            if (decoded !== undefined) {
                inputs[property] = decoded;
            }
            valid[property] = decoded;
        } else {
            issues.push(...issuesByProperty(parsed.error));
        }
    }
    for (const crossCheck of crossChecks) {
        const issue = crossCheck(valid, news);
        if (issue !== undefined && !issues.some((existing) => existing.property === issue.property)) {
            issues.push(issue);
        }
    }
    return { inputs, issues };
}

// The engine runs the resources' checks one after another, so whatever a check
// costs is paid once per resource of a deployment: each property's wrapper
// object is built once per property schema and reused (docs/performance.md).
const propertyObjects = new WeakMap<z.ZodType, Map<string, z.ZodType>>();

/** `z.object({ [property]: schema })`, so that issues carry the property's path. */
function propertyObject(property: string, schema: z.ZodType): z.ZodType {
    let byProperty = propertyObjects.get(schema);
    if (byProperty === undefined) {
        byProperty = new Map();
        propertyObjects.set(schema, byProperty);
    }
    let object = byProperty.get(property);
    if (object === undefined) {
        object = z.object({ [property]: schema });
        byProperty.set(property, object);
    }
    return object;
}

const storeInputSchema = storeSpecSchema.optional();

/**
 * Inputs of a SliceIpam, as `check` returns them. `acceptReservedOverlaps`:
 * newly added reserved ranges may cover subnets clusters hold (they keep them).
 */
export const sliceIpamInputShape = {
    ...sliceSpecShape,
    acceptReservedOverlaps: z.boolean({ error: "acceptReservedOverlaps must be true or false" }).optional(),
    store: storeInputSchema,
} satisfies Shape;

export type SliceIpamInputs = InputsOf<typeof sliceIpamInputShape>;

/**
 * Inputs of a SubnetAllocation, as `check` returns them. `requestedSubnet`:
 * take this subnet if it is free when the allocation is created (never moves
 * an existing one); `requestedSubnetIsPlan`: it is the component's plan
 * (soft), not a user's pin (hard); `planMustHold`: a plan taken meanwhile
 * fails the create instead of falling back; `requestedSubnetIpv6`: the same
 * in a dual-stack slice's IPv6 pool; `sliceSubnetIpv6`: the slice's IPv6
 * pool, so that its addition updates the allocation's outputs.
 */
export const subnetAllocationInputShape = {
    sliceName: dnsLabelSchema("sliceName"),
    clusterName: dnsLabelSchema("clusterName"),
    requestedSubnet: z
        .string({ error: 'requestedSubnet must be a CIDR string such as "10.1.4.0/24"' })
        .refine((text) => parseCidr(text).ok, {
            error: (issue) => `requestedSubnet ${quoted(issue.input)} is not canonical CIDR notation (e.g. "10.1.4.0/24")`,
        })
        .optional(),
    requestedSubnetIsPlan: z.boolean({ error: "requestedSubnetIsPlan must be true or false" }).optional(),
    planMustHold: z.boolean({ error: "planMustHold must be true or false" }).optional(),
    requestedSubnetIpv6: z
        .string({ error: 'requestedSubnetIpv6 must be a CIDR string such as "fd00:10:0:4::/64"' })
        .refine((text) => parseCidr(text).ok && text.includes(":"), {
            error: (issue) => `requestedSubnetIpv6 ${quoted(issue.input)} is not an IPv6 block in canonical CIDR notation (e.g. "fd00:10:0:4::/64")`,
        })
        .optional(),
    sliceSubnetIpv6: sliceSpecShape.sliceSubnetIpv6,
    store: storeInputSchema,
} satisfies Shape;

export type SubnetAllocationInputs = InputsOf<typeof subnetAllocationInputShape>;

/** Raised when a create, update or delete receives inputs that `check` would have refused. */
export class InvalidInputsError extends KubesliceIpamError {
    constructor(
        readonly subject: string,
        readonly issues: readonly InputIssue[],
    ) {
        super(
            "invalid-inputs",
            `${subject}: invalid inputs; nothing was written:\n` +
                issues.map((issue) => `  - ${issue.property === "" ? "" : `${issue.property}: `}${issue.message}`).join("\n") +
                `\nCorrect the inputs and run again.`,
        );
        this.name = "InvalidInputsError";
    }
}

/**
 * Validates inputs at a write's entry with the same schemas as `check`.
 * Pulumi calls `check` first, but programs, tools and older states reach
 * providers in other ways: nothing unchecked may reach a store.
 */
export function requireValidInputs<S extends Shape>(
    shape: S,
    props: Properties | undefined,
    subject: string,
    crossChecks: CrossCheck[] = [],
): InputsOf<S> {
    const checked = checkProperties(shape, props ?? {}, crossChecks);
    const issues = [...checked.issues];
    if (containsUnknown(checked.inputs)) {
        issues.push({ property: "", message: "some inputs are still unknown; a write needs every input known" });
    }
    if (issues.length > 0) {
        throw new InvalidInputsError(subject, issues);
    }
    return checked.inputs as InputsOf<S>;
}

/** Renders issues as Pulumi check failures (`property` empty for the whole input). */
export function toCheckFailures(issues: readonly InputIssue[]): { property: string; reason: string }[] {
    return issues.map((issue) => ({ property: issue.property, reason: issue.message }));
}

/** Properties whose values differ between two property bags (deep, JSON-wise). */
export function changedProperties(olds: Properties, news: Properties, properties: readonly string[]): string[] {
    return properties.filter((property) => !sameValue(olds[property], news[property]));
}

function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(canonical);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                .map(([k, v]) => [k, canonical(v)]),
        );
    }
    return value;
}
