import { KubesliceIpamError } from "../core/kubeslice-ipam-error";

/** Overrides how long the Kubernetes store lets a commit wait for company (docs/stores.md). */
export const GATHER_MS_VARIABLE = "KUBESLICE_IPAM_KUBERNETES_GATHER_MS";

/**
 * A Kubernetes commit costs several writes on the API server (a shard, the
 * head, the status projection, an Event, the replaced shard's deletion)
 * whatever it carries, and the engine sends a deployment's creates tens of
 * milliseconds apart: waiting this long for the next ones makes one commit
 * of several. Measured through the engine in `npm run bench:engine`
 * (docs/performance.md).
 */
export const DEFAULT_GATHER_MS = 250;

/** The gathering window from the environment: a number of milliseconds, 0 to commit every change at once. */
export function gatherMsFrom(environment: NodeJS.ProcessEnv): number {
    const text = environment[GATHER_MS_VARIABLE];
    if (text === undefined || text.trim() === "") {
        return DEFAULT_GATHER_MS;
    }
    const milliseconds = Number(text);
    if (!(Number.isFinite(milliseconds) && milliseconds >= 0 && milliseconds <= 10_000)) {
        throw new KubesliceIpamError(
            "gather-setting-invalid",
            `${GATHER_MS_VARIABLE} must be a number of milliseconds from 0 to 10000, e.g. 100 (0: commit every change at ` +
                `once), not ${JSON.stringify(text.slice(0, 20))}`,
        );
    }
    return milliseconds;
}
