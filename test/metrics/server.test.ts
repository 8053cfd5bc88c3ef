import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { EXPOSITION_CONTENT_TYPE } from "../../metrics/exposition";
import { coalescedScrape } from "../../metrics/scrape-cache";
import { MetricsServer, parseListenAddress, SCRAPE_FAILED_BODY, startMetricsServer } from "../../metrics/server";

const noLog = () => undefined;

describe("parseListenAddress", () => {
    it.each([
        ["127.0.0.1:9464", { host: "127.0.0.1", port: 9464 }],
        [":9464", { host: "127.0.0.1", port: 9464 }],
        ["9464", { host: "127.0.0.1", port: 9464 }],
        ["0.0.0.0:9464", { host: "0.0.0.0", port: 9464 }],
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
        server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, async () => `up_like ${++scrapes}\n`, noLog);
        expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
        const first = await fetch(server.url);
        expect(first.status).toBe(200);
        expect(first.headers.get("content-type")).toBe(EXPOSITION_CONTENT_TYPE);
        expect(await first.text()).toBe("up_like 1\n");
        expect(await (await fetch(server.url)).text()).toBe("up_like 2\n");
    });

    it("answers a failed scrape with a short 500, the error only in the log, other paths with 404", async () => {
        const logged: unknown[] = [];
        const failure = new Error("/x/blue.json is not a valid slice ledger");
        server = await startMetricsServer(
            { host: "127.0.0.1", port: 0 },
            async () => {
                throw failure;
            },
            (error) => logged.push(error),
        );
        const failed = await fetch(server.url);
        expect(failed.status).toBe(500);
        expect(await failed.text()).toBe(SCRAPE_FAILED_BODY);
        expect(logged).toEqual([failure]);
        const other = await fetch(`http://127.0.0.1:${server.port}/other`);
        expect(other.status).toBe(404);
        expect(await other.text()).toContain("metrics are at /metrics");
    });

    it("closes and refuses connections afterwards", async () => {
        const closing = await startMetricsServer({ host: "127.0.0.1", port: 0 }, async () => "", noLog);
        await closing.close();
        await expect(fetch(closing.url)).rejects.toThrow();
    });

    it("fails to start on a port in use", async () => {
        server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, async () => "", noLog);
        await expect(startMetricsServer({ host: "127.0.0.1", port: server.port }, async () => "", noLog)).rejects.toThrow(/EADDRINUSE/);
    });

    it("binds a bare port to loopback only and says so", async () => {
        const parsed = parseListenAddress(":0");
        server = await startMetricsServer(parsed.ok ? parsed.address : { host: "", port: 0 }, async () => "", noLog);
        expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
        expect((await fetch(server.url)).status).toBe(200);
        const outside = externalAddress();
        if (outside !== undefined) {
            await expect(fetch(`http://${outside}:${server.port}/metrics`)).rejects.toThrow();
        }
    });

    it("says every interface when told to listen on all of them", async () => {
        server = await startMetricsServer({ host: "0.0.0.0", port: 0 }, async () => "", noLog);
        expect(server.url).toBe(`http://0.0.0.0:${server.port}/metrics`);
        expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(200);
    });
});

describe("coalescedScrape over HTTP", () => {
    let server: MetricsServer | undefined;
    afterEach(async () => {
        await server?.close();
        server = undefined;
    });

    it("answers 50 concurrent scrapes with one store read, reuses it for the interval, then reads again", async () => {
        let reads = 0;
        let now = 1_000;
        const slowRead = async () => {
            reads++;
            await new Promise((resolve) => setTimeout(resolve, 50));
            return `reads ${reads}\n`;
        };
        server = await startMetricsServer(
            { host: "127.0.0.1", port: 0 },
            coalescedScrape(slowRead, 5_000, () => now),
            noLog,
        );
        const bodies = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(server!.url)).text()));
        expect(new Set(bodies)).toEqual(new Set(["reads 1\n"]));
        now += 4_999;
        expect(await (await fetch(server.url)).text()).toBe("reads 1\n");
        now += 1;
        expect(await (await fetch(server.url)).text()).toBe("reads 2\n");
        expect(reads).toBe(2);
    });

    it("shares a failed read with the scrapes waiting for it, and never reuses it", async () => {
        let reads = 0;
        const failingOnce = async () => {
            reads++;
            await new Promise((resolve) => setTimeout(resolve, 20));
            if (reads === 1) {
                throw new Error("store unreadable");
            }
            return "ok 1\n";
        };
        const logged: unknown[] = [];
        server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, coalescedScrape(failingOnce, 5_000), (e) => logged.push(e));
        const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await fetch(server!.url)).status));
        expect(statuses).toEqual([500, 500, 500, 500, 500]);
        expect(logged).toHaveLength(5);
        expect(await (await fetch(server.url)).text()).toBe("ok 1\n");
        expect(reads).toBe(2);
    });
});

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | undefined {
    return Object.values(networkInterfaces())
        .flat()
        .find((info) => info !== undefined && info.family === "IPv4" && !info.internal)?.address;
}
