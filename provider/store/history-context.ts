import { AsyncLocalStorage } from "node:async_hooks";
import { hostname, userInfo } from "node:os";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { DEFAULT_HISTORY_BOUNDS, HistoryActor, HistoryBounds } from "../core/history";
import { processWide } from "./process-wide";

/**
 * Where the history of a change gets what the pure core cannot know: who is
 * changing the ledger, and how much history a slice keeps. Both are
 * process-wide: one provider process serves one stack's update, one CLI
 * process one command.
 */
export const HISTORY_MAX_EVENTS_VARIABLE = "KUBESLICE_IPAM_HISTORY_MAX_EVENTS";
export const HISTORY_MAX_AGE_DAYS_VARIABLE = "KUBESLICE_IPAM_HISTORY_MAX_AGE_DAYS";

const actorSlot = () => processWide("kubeslice-ipam.history-actor", () => ({ actor: undefined as HistoryActor | undefined }));
const scopedActor = () => processWide("kubeslice-ipam.history-actor-scope", () => new AsyncLocalStorage<HistoryActor>());

/** Runs `body` with its changes attributed to `actor` (the CLI runs each command so, so in-process runs never leak into each other). */
export function withHistoryActor<T>(actor: Omit<HistoryActor, "user" | "host"> & Partial<Pick<HistoryActor, "user" | "host">>, body: () => T): T {
    return scopedActor().run({ ...machineIdentity(), ...actor }, body);
}

/**
 * Names who makes this process's changes from now on (the CLI's command, the
 * native provider's stack). User and host are added here.
 */
export function setHistoryActor(actor: Omit<HistoryActor, "user" | "host">): void {
    actorSlot().actor = { ...actor, ...machineIdentity() };
}

/**
 * The actor of the calling code's changes: the one of its scope, else the one set for the process, else what the
 * environment tells. The Pulumi engine gives a dynamic provider's process
 * `PULUMI_PROJECT` but not the stack, organization or update; the others
 * are read too, for engines and wrappers that set them.
 */
export function historyActor(env: NodeJS.ProcessEnv = process.env): HistoryActor {
    const set = scopedActor().getStore() ?? actorSlot().actor;
    if (set !== undefined) {
        return set;
    }
    const project = env.PULUMI_PROJECT ?? env.PULUMI_NODEJS_PROJECT;
    if (project === undefined) {
        return { via: "library", ...machineIdentity() };
    }
    return {
        via: "pulumi",
        organization: env.PULUMI_ORGANIZATION ?? env.PULUMI_NODEJS_ORGANIZATION,
        project,
        stack: env.PULUMI_STACK ?? env.PULUMI_NODEJS_STACK,
        ...machineIdentity(),
    };
}

function machineIdentity(): Pick<HistoryActor, "user" | "host"> {
    let user: string | undefined;
    try {
        user = userInfo().username;
    } catch {
        // A uid without a passwd entry (some containers): the history says nothing rather than guess.
        user = process.env.USER;
    }
    return { user, host: hostname() };
}

/** The bounds every slice's history is kept to, from the environment (documented in docs/operations.md). */
export function historyBounds(env: NodeJS.ProcessEnv = process.env): HistoryBounds {
    return {
        maxEvents: positiveWhole(env, HISTORY_MAX_EVENTS_VARIABLE, DEFAULT_HISTORY_BOUNDS.maxEvents),
        maxAgeSeconds: positiveWhole(env, HISTORY_MAX_AGE_DAYS_VARIABLE, DEFAULT_HISTORY_BOUNDS.maxAgeSeconds / 86_400) * 86_400,
    };
}

function positiveWhole(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
    const text = env[variable];
    if (text === undefined || text === "") {
        return fallback;
    }
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
        throw new KubesliceIpamError(
            "history-setting-invalid",
            `${variable} must be a whole number of at least 1, e.g. ${fallback}, not ${JSON.stringify(text.slice(0, 20))}`,
        );
    }
    return value;
}

/**
 * The actor a Pulumi resource URN names (`urn:pulumi:<stack>::<project>::…`):
 * what a provider that is given URNs (the native provider) records, with the
 * organization where the environment tells it.
 */
export function pulumiActorOfUrn(urn: string, env: NodeJS.ProcessEnv = process.env): Omit<HistoryActor, "user" | "host"> {
    const match = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
    return {
        via: "pulumi",
        organization: env.PULUMI_ORGANIZATION ?? env.PULUMI_NODEJS_ORGANIZATION,
        project: match?.[2] ?? env.PULUMI_PROJECT,
        stack: match?.[1] ?? env.PULUMI_STACK,
    };
}
