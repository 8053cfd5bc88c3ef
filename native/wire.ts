/**
 * Property values as a native provider receives them: the engine sends
 * secrets as sigil-marked objects (the SDK's server accepts secrets), while
 * the handlers work on plain values, as the dynamic-provider host gives them.
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Unwrapped<T> {
    readonly value: T;
    /** True when any part of the value was a secret. */
    readonly hadSecret: boolean;
}

function isSecretValue(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The value with every secret replaced by what it wraps. */
export function unwrapSecrets<T>(value: T): Unwrapped<T> {
    let hadSecret = false;
    const walk = (v: unknown): unknown => {
        if (isSecretValue(v)) {
            hadSecret = true;
            return walk(v.value);
        }
        if (Array.isArray(v)) return v.map(walk);
        if (typeof v === "object" && v !== null) {
            return Object.fromEntries(Object.entries(v).map(([key, inner]) => [key, walk(inner)]));
        }
        return v;
    };
    return { value: walk(value) as T, hadSecret };
}

/** The value marked secret on the wire. */
export function secret(value: unknown): unknown {
    return { [SIG_KEY]: SECRET_SIG, value };
}

/** Top-level properties in `names` marked secret (those present). */
export function withSecretProperties(props: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
    const out = { ...props };
    for (const name of names) {
        if (out[name] !== undefined) out[name] = secret(out[name]);
    }
    return out;
}
