import { createHash } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as k8s from "@kubernetes/client-node";
import type { KubernetesClient } from "./kubernetes-client";
import { LRUCache } from "lru-cache";
import { loadKubeconfig } from "./kubeconfig";
import { processWide } from "./process-wide";

/**
 * The Kubernetes store's connection to an API server, shared by every call of
 * a process.
 *
 * The client (@kubernetes/client-node 1.x) builds a new HTTPS agent for every
 * request, so every request paid a TCP connection and a TLS handshake: 6 ms a
 * GET on loopback on the 2-core development machine, most of a commit's
 * cost. Here a request's agent is swapped for a keep-alive agent with the very
 * same TLS options (CA, client certificate and key, server name, verification),
 * shared process-wide; idle sockets do not keep a process alive (Node.js unrefs
 * them) and a socket the server closed meanwhile fails as ECONNRESET, which the
 * store's requests retry within their time bound like any lost connection.
 *
 * Pulumi constructs the store per call, so parsing the kubeconfig and building
 * the client per call (2.6 ms) is cached too, by a digest of the kubeconfig's
 * contents and context (never the contents themselves). A kubeconfig read from
 * KUBECONFIG or ~/.kube/config is cached by its files' paths, sizes and
 * modification times, so an edited file is read again; without such a file
 * (in-cluster), every store loads its own.
 */

/** Distinct kubeconfigs (and TLS identities) a process keeps connections for. */
const ENTRIES = 16;

interface Connection {
    readonly config: k8s.KubeConfig;
    readonly api: k8s.CustomObjectsApi;
    /** A digest of the kubeconfig and context (never their text): who the requests are made as. */
    readonly identity: string;
}

const clients = () => processWide("kubeslice-ipam.kubernetes-clients", () => new LRUCache<string, Connection>({ max: ENTRIES }));
const agents = () => processWide("kubeslice-ipam.kubernetes-agents", () => new LRUCache<string, http.Agent>({ max: ENTRIES }));

/** A kubeconfig, as the store's options name it. */
export interface ConnectionSource {
    readonly contents?: string;
    readonly name: string;
    readonly context?: string;
}

/** The loaded kubeconfig and a CustomObjectsApi whose requests share keep-alive connections. */
export function connect(client: KubernetesClient, source: ConnectionSource): Connection {
    const identity = source.contents === undefined ? defaultFiles() : source.contents;
    const key =
        identity === undefined
            ? undefined
            : createHash("sha256")
                  .update(JSON.stringify([source.contents === undefined, identity, source.context ?? null]))
                  .digest("hex");
    const cached = key === undefined ? undefined : clients().get(key);
    if (cached !== undefined) {
        return cached;
    }
    const config = loadKubeconfig(client, source);
    const server = config.getCurrentCluster()!.server;
    const api = new client.CustomObjectsApi(
        client.createConfiguration({
            baseServer: new client.ServerConfiguration(server, {}),
            authMethods: { default: config },
            promiseMiddleware: [{ pre: async (context) => (shareAgent(context), context), post: async (response) => response }],
        }),
    );
    const connection = { config, api, identity: key ?? "in-cluster" };
    if (key !== undefined) {
        clients().set(key, connection);
    }
    return connection;
}

/** Options of the client's agent that decide which connections may serve the request. */
const TLS_OPTIONS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

/**
 * Replaces the request's freshly built agent by the process's keep-alive
 * agent with equal options. Proxy agents (a kubeconfig's proxy-url) are left
 * as the client made them.
 */
export function shareAgent(context: { getAgent(): unknown; setAgent(agent: http.Agent): void }): void {
    const agent = context.getAgent();
    const plain = agent?.constructor === https.Agent ? "https" : agent?.constructor === http.Agent ? "http" : undefined;
    if (plain === undefined) {
        return;
    }
    const options = (agent as http.Agent & { options: Record<string, unknown> }).options;
    const chosen = Object.fromEntries(TLS_OPTIONS.map((name) => [name, options[name] instanceof Buffer ? String(options[name]) : options[name]]));
    const key = createHash("sha256")
        .update(JSON.stringify([plain, chosen]))
        .digest("hex");
    let shared = agents().get(key);
    if (shared === undefined) {
        const keepAlive = { ...chosen, keepAlive: true, maxSockets: 32, maxFreeSockets: 16 };
        for (const [name, value] of Object.entries(keepAlive)) {
            if (value === undefined) delete (keepAlive as Record<string, unknown>)[name];
        }
        // Buffers as the client had them, not their text form used for the key.
        for (const name of TLS_OPTIONS) {
            if (options[name] instanceof Buffer) (keepAlive as Record<string, unknown>)[name] = options[name];
        }
        shared = plain === "https" ? new https.Agent(keepAlive) : new http.Agent(keepAlive);
        agents().set(key, shared);
    }
    context.setAgent(shared);
}

/** The default kubeconfig's files (KUBECONFIG's list, else ~/.kube/config) with size and mtime; undefined when none exists. */
function defaultFiles(): string | undefined {
    const listed = process.env.KUBECONFIG;
    const files =
        listed !== undefined && listed !== "" ? listed.split(path.delimiter).filter((f) => f !== "") : [path.join(os.homedir(), ".kube", "config")];
    const seen: [string, number, number][] = [];
    for (const file of files) {
        try {
            const stat = statSync(file);
            seen.push([path.resolve(file), stat.size, stat.mtimeMs]);
        } catch {
            // A missing file is skipped by the client too.
        }
    }
    return seen.length === 0 ? undefined : JSON.stringify(seen);
}
