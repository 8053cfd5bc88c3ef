import { afterEach, describe, expect, it } from "vitest";
import { EXPOSITION_CONTENT_TYPE } from "../../metrics/exposition";
import { MetricsServer, parseListenAddress, startMetricsServer } from "../../metrics/server";

describe("parseListenAddress", () => {
    it.each([
        ["127.0.0.1:9464", { host: "127.0.0.1", port: 9464 }],
        [":9464", { host: undefined, port: 9464 }],
        ["9464", { host: undefined, port: 9464 }],
        ["localhost:0", { host: "localhost", port: 0 }],
        ["[::1]:9464", { host: "::1", port: 9464 }],
    ])("reads %s", (text, address) => {
        expect(parseListenAddress(text)).toEqual({ ok: true, address });
    });

    it.each(["", "127.0.0.1", "host:port", "127.0.0.1:65536", "::1:9464"])("refuses %j with an example", (text) => {
        const parsed = parseListenAddress(text);
        expect(parsed.ok).toBe(false);
        expect(!parsed.ok && parsed.reason).toContain("e.g. 127.0.0.1:9464");
    });
});

describe("startMetricsServer", () => {
    let server: MetricsServer | undefined;
    afterEach(async () => {
        await server?.close();
        server = undefined;
    });

    it("serves each scrape afresh at /metrics with the exposition content type", async () => {
        let scrapes = 0;
        server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, async () => `up_like ${++scrapes}\n`);
        expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
        const first = await fetch(server.url);
        expect(first.status).toBe(200);
        expect(first.headers.get("content-type")).toBe(EXPOSITION_CONTENT_TYPE);
        expect(await first.text()).toBe("up_like 1\n");
        expect(await (await fetch(server.url)).text()).toBe("up_like 2\n");
    });

    it("answers a failed scrape with 500 and the error's message, other paths with 404", async () => {
        server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, async () => {
            throw new Error("/x/blue.json is not a valid slice ledger");
        });
        const failed = await fetch(server.url);
        expect(failed.status).toBe(500);
        expect(await failed.text()).toContain("/x/blue.json is not a valid slice ledger");
        const other = await fetch(`http://127.0.0.1:${server.port}/other`);
        expect(other.status).toBe(404);
        expect(await other.text()).toContain("metrics are at /metrics");
    });

    it("closes and refuses connections afterwards", async () => {
        const closing = await startMetricsServer({ host: "127.0.0.1", port: 0 }, async () => "");
        await closing.close();
        await expect(fetch(closing.url)).rejects.toThrow();
    });

    it("fails to start on a port in use", async () => {
        server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, async () => "");
        await expect(startMetricsServer({ host: "127.0.0.1", port: server.port }, async () => "")).rejects.toThrow(/EADDRINUSE/);
    });
});
