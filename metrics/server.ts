import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { EXPOSITION_CONTENT_TYPE } from "./exposition";

/** Where the exporter listens. `host` undefined means every interface. */
export interface ListenAddress {
    readonly host?: string;
    readonly port: number;
}

export type ListenAddressResult = { readonly ok: true; readonly address: ListenAddress } | { readonly ok: false; readonly reason: string };

/**
 * Reads `host:port`, `[ipv6]:port`, `:port` or `port` (0 picks a free port).
 * Internal. Exported for testing.
 */
export function parseListenAddress(text: string): ListenAddressResult {
    const match = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text.trim());
    const port = match === null ? NaN : Number(match[3]);
    if (match === null || port > 65_535) {
        return {
            ok: false,
            reason: `listen address ${JSON.stringify(text)} is not host:port, :port or port (0-65535), e.g. 127.0.0.1:9464 or :9464`,
        };
    }
    const host = match[1] ?? match[2];
    return { ok: true, address: { host: host === undefined || host === "" ? undefined : host, port } };
}

export interface MetricsServer {
    /** The scrape URL, e.g. `http://127.0.0.1:9464/metrics`. */
    readonly url: string;
    readonly port: number;
    /** Stops accepting connections and waits for open ones to finish. */
    close(): Promise<void>;
}

/**
 * Serves `GET /metrics` for Prometheus. `scrape` runs once per request, so
 * every scrape reads the store afresh; if it fails the response is a 500 with
 * the error's message (Prometheus then reports the target down, `up == 0`).
 */
export async function startMetricsServer(address: ListenAddress, scrape: () => Promise<string>): Promise<MetricsServer> {
    const server = createServer((request, response) => {
        void respond(request, response, scrape);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(address.port, address.host, () => {
            server.off("error", reject);
            resolve();
        });
    });
    const bound = server.address() as AddressInfo;
    const host = address.host ?? "localhost";
    const shownHost = host.includes(":") ? `[${host}]` : host;
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

async function respond(request: IncomingMessage, response: ServerResponse, scrape: () => Promise<string>): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
        return send(response, 405, "only GET and HEAD are supported\n", { allow: "GET, HEAD" });
    }
    if (path === "/") {
        return send(response, 200, "kubeslice-ipam exporter: metrics at /metrics\n");
    }
    if (path !== "/metrics") {
        return send(response, 404, `no such path ${path}; metrics are at /metrics\n`);
    }
    let body: string;
    try {
        body = await scrape();
    } catch (error) {
        return send(response, 500, `${(error as Error).message}\n`);
    }
    send(response, 200, body, { "content-type": EXPOSITION_CONTENT_TYPE });
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    response.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
    response.end(response.req.method === "HEAD" ? undefined : body);
}
