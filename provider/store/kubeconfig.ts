import type * as k8s from "@kubernetes/client-node";
import { parseDocument } from "yaml";
import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { kubernetesClient, KubernetesClient } from "./kubernetes-client";

/**
 * Loads a kubeconfig without ever quoting it. A kubeconfig holds tokens,
 * passwords and private keys, and the YAML parser's own error quotes the
 * lines around a fault (`token: …` included), which would reach Pulumi
 * diagnostics, logs and the CLI's stderr. Every failure here says which
 * kubeconfig and where (line and column), never any text from it.
 */

export type KubeconfigErrorCode = "kubeconfig-invalid" | "kubeconfig-context-not-found";

/** A kubeconfig that cannot be used; the message holds no text of its contents. */
export class KubeconfigError extends KubesliceIpamError {
    constructor(
        override readonly code: KubeconfigErrorCode,
        message: string,
    ) {
        super(code, message);
        this.name = "KubeconfigError";
    }
}

/** Where a kubeconfig came from, for messages: "kubeconfig file /x/config", "the store input's kubeconfig". */
export interface KubeconfigSource {
    /** The contents; undefined: KUBECONFIG, ~/.kube/config or the in-cluster service account. */
    readonly contents?: string;
    /** How messages name these contents, e.g. `kubeconfig file ./bad.yaml`. */
    readonly name: string;
    readonly context?: string;
}

const FIX = "correct it, or pass another kubeconfig";

/**
 * Checks that `contents` is a kubeconfig the client can load: YAML syntax
 * (position only), entries with their required fields, and `context` when
 * given. Throws `KubeconfigError`.
 */
export function checkKubeconfig(contents: string, name: string, context?: string): void {
    loadKubeconfig(kubernetesClient(), { contents, name, context });
}

/** The URL of the API server `contents` reaches (with `context`, else its current context). Throws `KubeconfigError`. */
export function kubeconfigServer(contents: string, name: string, context?: string): string {
    return loadKubeconfig(kubernetesClient(), { contents, name, context }).getCurrentCluster()!.server;
}

/** A `KubeConfig` for `source`, with its context selected and a current cluster. Throws `KubeconfigError`. */
export function loadKubeconfig(client: KubernetesClient, source: KubeconfigSource): k8s.KubeConfig {
    const name = source.contents === undefined ? defaultSourceName() : source.name;
    if (source.contents !== undefined) {
        assertYamlSyntax(source.contents, name);
    }
    const config = new client.KubeConfig();
    try {
        if (source.contents !== undefined) {
            config.loadFromString(source.contents);
        } else {
            config.loadFromDefault();
        }
    } catch (error) {
        throw new KubeconfigError("kubeconfig-invalid", `${name} is not a valid kubeconfig: ${safeReason(error)}; ${FIX}`);
    }
    if (source.context !== undefined) {
        if (!config.getContexts().some((context) => context.name === source.context)) {
            throw new KubeconfigError(
                "kubeconfig-context-not-found",
                `${name} has no context named ${JSON.stringify(source.context)}; pass a context it defines ` +
                    `(kubectl config get-contexts lists them), or omit the context to use its current-context`,
            );
        }
        config.setCurrentContext(source.context);
    }
    if (config.getCurrentCluster() === null) {
        throw new KubeconfigError(
            "kubeconfig-invalid",
            `${name} has no current cluster: its current-context is missing or names a context or cluster it does not ` +
                `define; set current-context, or pass a context`,
        );
    }
    return config;
}

function assertYamlSyntax(contents: string, name: string): void {
    const document = parseDocument(contents, { prettyErrors: false });
    const error = document.errors[0];
    if (error !== undefined) {
        throw new KubeconfigError("kubeconfig-invalid", `${name} is not valid YAML: syntax error at ${position(contents, error.pos[0])}; ${FIX}`);
    }
}

/** `line L, column C` (1-based) of a character offset. */
function position(contents: string, offset: number): string {
    const before = contents.slice(0, offset).split(/\r\n|\r|\n/);
    return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * The client's reasons that hold no kubeconfig text (`users[0].name is
 * missing`); anything else, js-yaml's quoted snippets and `Duplicate cluster:
 * <name>` included, is reduced to its position or kind.
 */
function safeReason(error: unknown): string {
    const { message, name, mark } = error as { message?: unknown; name?: unknown; mark?: { line?: unknown; column?: unknown } };
    if (name === "YAMLException" && typeof mark?.line === "number" && typeof mark.column === "number") {
        return `YAML syntax error at line ${mark.line + 1}, column ${mark.column + 1}`;
    }
    if (typeof message === "string") {
        if (/^(clusters|users|contexts)\[\d+\]\.[a-z.]+ is missing$/.test(message)) {
            return message;
        }
        const duplicate = /^Duplicate (cluster|user|context):/.exec(message);
        if (duplicate !== null) {
            return `two ${duplicate[1]}s have the same name`;
        }
    }
    return "its clusters, users and contexts are not lists of named entries";
}

function defaultSourceName(): string {
    const fromEnv = process.env.KUBECONFIG;
    return fromEnv !== undefined && fromEnv !== ""
        ? `the kubeconfig in KUBECONFIG (${fromEnv})`
        : "the default kubeconfig (~/.kube/config or in-cluster)";
}
