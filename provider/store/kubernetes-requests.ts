import type * as k8s from "@kubernetes/client-node";
import type { KubernetesClient } from "./kubernetes-client";
import type { ErrorCode } from "../core/error-codes";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { backOff, Backoff, retryBudget } from "./backoff";

/** How long a request is retried; counted from its first attempt. */
export interface TransientRetry {
    /** Server errors, throttling and lost connections: retried for this long (an API server restart takes seconds). */
    readonly windowMs: number;
    /**
     * A 404 without a Kubernetes `Status` (the server's plain `404 page not
     * found`): retried for this long after the first one. API servers answer
     * it for custom resources while they start and while they shut down
     * (kubernetes/kubernetes#71218, #115241), and also when the CRD is not
     * installed — which cannot be told apart, so it is reported only then.
     */
    readonly unservedWindowMs: number;
    /** When set, also at most this many attempts (tests make a dead server fail fast). */
    readonly attempts?: number;
}

export const DEFAULT_TRANSIENT_RETRY: TransientRetry = { windowMs: 30_000, unservedWindowMs: 10_000 };

/** Operators shorten (a pipeline that should fail fast) or lengthen (a slow control plane) the retry window. */
export const RETRY_SECONDS_VARIABLE = "KUBESLICE_IPAM_KUBERNETES_RETRY_SECONDS";

/** The retry windows, from {@link RETRY_SECONDS_VARIABLE} when it is set to a number of seconds. */
export function transientRetryFrom(environment: NodeJS.ProcessEnv, attempts: number | undefined): TransientRetry {
    const text = environment[RETRY_SECONDS_VARIABLE];
    const seconds = text === undefined || text.trim() === "" ? undefined : Number(text);
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0)) {
        throw new KubesliceIpamError(
            "retry-setting-invalid",
            `${RETRY_SECONDS_VARIABLE} must be a number of seconds, e.g. 30, not ${JSON.stringify(text!.slice(0, 20))}`,
        );
    }
    const windowMs = seconds === undefined ? DEFAULT_TRANSIENT_RETRY.windowMs : seconds * 1000;
    return { windowMs, unservedWindowMs: Math.min(windowMs, DEFAULT_TRANSIENT_RETRY.unservedWindowMs), attempts };
}

/** Pauses between attempts of one request: long enough for a restarting server, short enough to notice it is back. */
const REQUEST_BACKOFF: Backoff = { baseDelayMs: 200, maxDelayMs: 2_000 };

/** Set by a request that was retried after a transient failure: an earlier attempt may have landed. */
export interface WriteOutcome {
    uncertain: boolean;
}

/** The `Status` a refusal carries; undefined when the body is not one (a proxy's or a starting server's text). */
export interface ApiStatus {
    readonly kind?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly details?: { readonly name?: string; readonly kind?: string; readonly group?: string };
}

/**
 * The Kubernetes store's requests: bounded retries, what an answer means
 * (absent, conflict, refused, unknown outcome) and messages that say what to
 * do. No state of its own beyond the client it is given.
 */
export class KubernetesRequests {
    constructor(
        private readonly client: KubernetesClient,
        /** Names the store in every message, e.g. `Kubernetes store https://… namespace kubeslice-cisco`. */
        readonly description: string,
        private readonly retry: TransientRetry,
    ) {}

    /**
     * Runs one API call, retrying server errors, throttling, connection
     * failures and unserved 404s within the retry windows; then the API
     * server's own message is surfaced. Client errors (a Status 404, 409, 422,
     * 403, 413) and "request is too large" return at once: repeating them
     * cannot succeed. A Status 404 or a 409 comes back as the client's
     * ApiException, for the caller to interpret; so does an unserved 404 once
     * its window is over.
     */
    async call<T>(what: string, request: () => Promise<T>, outcome?: WriteOutcome): Promise<T> {
        const budget = retryBudget({ timeLimitMs: this.retry.windowMs, attempts: this.retry.attempts });
        let firstUnserved: number | undefined;
        for (let attempt = 1; ; attempt++) {
            try {
                return await request();
            } catch (error) {
                const unserved = this.isUnserved(error);
                const now = Date.now();
                if (unserved) {
                    firstUnserved ??= now;
                }
                const transient = unserved || this.isTransient(error);
                const unservedTooLong = unserved && now - firstUnserved! >= this.retry.unservedWindowMs;
                if (!transient || unservedTooLong || !budget.mayRetry(attempt)) {
                    throw this.explain(what, error, transient ? attempt : undefined);
                }
                // An unserved 404 wrote nothing; a lost connection or a 5xx may have.
                if (outcome !== undefined && !unserved) {
                    outcome.uncertain = true;
                }
                await backOff(attempt, REQUEST_BACKOFF);
            }
        }
    }

    /** The ApiException, also when wrapped by explain() or another error. */
    apiError(error: unknown): k8s.ApiException<unknown> | undefined {
        if (error instanceof this.client.ApiException) {
            return error;
        }
        const cause = (error as { cause?: unknown })?.cause;
        return cause instanceof this.client.ApiException ? cause : undefined;
    }

    isCode(error: unknown, code: number): boolean {
        return this.apiError(error)?.code === code;
    }

    /**
     * The server said that this very object does not exist: a `Status` with
     * reason NotFound naming it and its resource. Any other 404 — a plain
     * `404 page not found` while the server starts, another kind's NotFound
     * (a missing namespace) — is not an answer about the object.
     */
    isNotFound(error: unknown, plural: string, name: string): boolean {
        const status = this.statusOf(error);
        return this.isCode(error, 404) && status?.reason === "NotFound" && status.details?.name === name && status.details?.kind === plural;
    }

    /** A 404 that is no Kubernetes `Status`: the resource type is not served (yet). */
    isUnserved(error: unknown): boolean {
        return error instanceof this.client.ApiException && error.code === 404 && this.statusOf(error)?.kind !== "Status";
    }

    statusOf(error: unknown): ApiStatus | undefined {
        const body = this.apiError(error)?.body;
        try {
            const parsed = (typeof body === "string" ? JSON.parse(body) : body) as unknown;
            return typeof parsed === "object" && parsed !== null ? (parsed as ApiStatus) : undefined;
        } catch {
            return undefined;
        }
    }

    /** The server answered and refused: nothing was written. */
    isDefinite(error: unknown): boolean {
        const code = this.apiError(error)?.code;
        return code !== undefined && code >= 400 && code < 500 ? true : this.isTooLarge(error);
    }

    isTooLarge(error: unknown): boolean {
        const api = this.apiError(error);
        return api !== undefined && (api.code === 413 || /request is too large|request entity too large/i.test(apiMessage(api)));
    }

    /** An error that says what was asked of which store; keeps the ApiException (and so its HTTP status) as its cause. */
    failure(code: ErrorCode, what: string, message: string, cause: unknown): Error {
        return new KubesliceIpamError(code, `${this.description}: cannot ${what}: ${message}`, { cause });
    }

    private isTransient(error: unknown): boolean {
        if (error instanceof this.client.ApiException) {
            return (error.code >= 500 || error.code === 429) && !this.isTooLarge(error);
        }
        const code = (error as { code?: string; cause?: { code?: string } })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
        return ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET"].includes(String(code));
    }

    private explain(what: string, error: unknown, attempts: number | undefined): Error {
        if (error instanceof this.client.ApiException && [404, 409].includes(error.code)) {
            return error; // expected codes, interpreted by the caller
        }
        const message = error instanceof this.client.ApiException ? apiMessage(error) : ((error as Error)?.message ?? String(error));
        const retried = attempts === undefined ? "" : ` (after ${attempts} attempts)`;
        return this.failure(this.codeOf(error, attempts !== undefined), `${what}${retried}`, `${message}${this.hint(error)}`, error);
    }

    /** What the user acts on: a request the server never answered, refused for the identity, too large, or refused otherwise. */
    private codeOf(error: unknown, transient: boolean): ErrorCode {
        const status = this.apiError(error)?.code;
        if (this.isTooLarge(error)) {
            return "ledger-too-large";
        }
        if (status === 401 || status === 403) {
            return "store-request-denied";
        }
        return transient || status === undefined ? "store-unreachable" : "store-request-failed";
    }

    private hint(error: unknown): string {
        if (!(error instanceof this.client.ApiException)) {
            return "";
        }
        if (this.isTooLarge(error)) {
            return (
                "; not retried: the object is over the API server's request size limit (etcd --max-request-bytes, " +
                "1.5 MiB by default). Sharded slices stay far below it, so this is a SliceIpam in the single-object " +
                "form of kubeslice-ipam 0.1 that is already full; nothing was written. See docs/operations.md, Troubleshooting"
            );
        }
        if (error.code === 403) {
            return "; grant the store's identity the kubeslice-ipam-store role (deploy/kubernetes/rbac.yaml)";
        }
        if (error.code === 422) {
            return (
                "; not retried: the API server refused the object as invalid. Install this version's CRDs " +
                "(deploy/kubernetes/sliceipam-crd.yaml) and check the object with kubectl"
            );
        }
        return "";
    }
}

export function apiMessage(error: k8s.ApiException<unknown>): string {
    const body = error.body as { message?: string } | string | undefined;
    if (typeof body === "string") {
        try {
            return (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
            return body.trim();
        }
    }
    return body?.message ?? `HTTP ${error.code}`;
}
