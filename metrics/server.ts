import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { EXPOSITION_CONTENT_TYPE } from "./exposition";

/** Where the exporter listens. */
export interface ListenAddress {
    readonly host: string;
    readonly port: number;
}

/**
 * Where a bare port (`9464`, `:9464`) listens: loopback only. The metrics
 * name every slice and its pool, so exposing them is a choice made by
 * writing the address (`0.0.0.0:9464`), not a default.
 */
export const DEFAULT_LISTEN_HOST = "127.0.0.1";

export type ListenAddressResult = { readonly ok: true; readonly address: ListenAddress } | { readonly ok: false; readonly reason: string };

/**
 * Reads `host:port`, `[ipv6]:port`, `:port` or `port` (0 picks a free port);
 * without a host, `DEFAULT_LISTEN_HOST`.
 * Internal. Exported for testing.
 */
export function parseListenAddress(text: string): ListenAddressResult {
    const match = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text.trim());
    const port = match === null ? NaN : Number(match[3]);
    if (match === null || port > 65_535) {
        return {
            ok: false,
            reason:
                `listen address ${JSON.stringify(text)} is not host:port, :port or port (0-65535), e.g. 127.0.0.1:9464, ` +
                `:9464 (loopback) or 0.0.0.0:9464 (every interface)`,
        };
    }
    const host = match[1] ?? match[2];
    return { ok: true, address: { host: host === undefined || host === "" ? DEFAULT_LISTEN_HOST : host, port } };
}

export interface MetricsServer {
    /** The scrape URL at the address actually bound, e.g. `http://127.0.0.1:9464/metrics` (`0.0.0.0`, `::`: every interface). */
    readonly url: string;
    readonly port: number;
    /** Stops accepting connections and waits for open ones to finish. */
    close(): Promise<void>;
}

/** Where a failed scrape's error goes: the exporter's log, never the anonymous client. */
export type ScrapeErrorLog = (error: unknown) => void;

/** What a client is told when a scrape fails (Prometheus then reports the target down, `up == 0`). */
export const SCRAPE_FAILED_BODY = "scrape failed: the exporter could not read the store; its log says why\n";

/**
 * Serves `GET /metrics` for Prometheus: `scrape` runs per request (pass a
 * coalescing one, `coalescedScrape`). A failed scrape is a 500 with a short
 * body; its error (store paths, ledger problems) goes to `logError` only.
 */
export async function startMetricsServer(address: ListenAddress, scrape: () => Promise<string>, logError: ScrapeErrorLog): Promise<MetricsServer> {
    const server = createServer((request, response) => {
        void respond(request, response, scrape, logError);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(address.port, address.host, () => {
            server.off("error", reject);
            resolve();
        });
    });
    const bound = server.address() as AddressInfo;
    const shownHost = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
    let closed: Promise<void> | undefined;
    return {
        url: `http://${shownHost}:${bound.port}/metrics`,
        port: bound.port,
        close: () =>
            (closed ??= new Promise<void>((resolve, reject) => {
                server.close((error) => (error ? reject(error) : resolve()));
                server.closeIdleConnections();
            })),
    };
}

async function respond(request: IncomingMessage, response: ServerResponse, scrape: () => Promise<string>, logError: ScrapeErrorLog): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
        return send(response, 405, "only GET and HEAD are supported\n", { allow: "GET, HEAD" });
    }
    if (path === "/") {
        return send(response, 200, "kubeslice-ipam exporter: metrics at /metrics\n");
    }
    if (path !== "/metrics") {
        return send(response, 404, "no such path; metrics are at /metrics\n");
    }
    let body: string;
    try {
        body = await scrape();
    } catch (error) {
        logError(error);
        return send(response, 500, SCRAPE_FAILED_BODY);
    }
    send(response, 200, body, { "content-type": EXPOSITION_CONTENT_TYPE });
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    response.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
    response.end(response.req.method === "HEAD" ? undefined : body);
}
