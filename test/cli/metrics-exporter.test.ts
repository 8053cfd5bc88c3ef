/**
 * `slice-ipam metrics --listen` as a process, over real HTTP: where it binds
 * and says it binds, what an anonymous client learns from a failed scrape,
 * and how often it reads the store.
 */
import { renameSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { RunningExporter, startExporter } from "../support/cli-process";
import { makeTempDir } from "../support/temp-dir";

let temp: ReturnType<typeof makeTempDir>;
let storeDir: string;
let exporter: RunningExporter | undefined;
beforeEach(async () => {
    temp = makeTempDir("slice-ipam-exporter-");
    storeDir = path.join(temp.dir, "store");
    await registerSlice(new FileLedgerStore(storeDir), sliceSpecSchema.parse({ sliceName: "green", sliceSubnet: "10.3.0.0/16" }));
});
afterEach(async () => {
    await exporter?.stop();
    exporter = undefined;
    temp.remove();
});

const allocated = async (url: string) => /^ipam_allocated_subnets\{slice="green"\} (\d+)$/m.exec(await (await fetch(url)).text())?.[1];

describe("metrics --listen", () => {
    it.each([":0", "0"])("binds %s to loopback only and prints that address", async (listen) => {
        exporter = await startExporter(["--listen", listen, "--store-dir", storeDir], temp.dir);
        expect(exporter.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
        expect((await fetch(exporter.url)).status).toBe(200);
        const outside = Object.values(networkInterfaces())
            .flat()
            .find((info) => info?.family === "IPv4" && !info.internal)?.address;
        if (outside !== undefined) {
            await expect(fetch(exporter.url.replace("127.0.0.1", outside))).rejects.toThrow();
        }
    });

    it("prints 0.0.0.0 when told to listen on every interface", async () => {
        exporter = await startExporter(["--listen", "0.0.0.0:0", "--store-dir", storeDir], temp.dir);
        expect(exporter.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/metrics$/);
    });

    it("answers a failed scrape with a short 500 and logs the error, store path included, to its stderr only", async () => {
        exporter = await startExporter(["--listen", "127.0.0.1:0", "--store-dir", storeDir, "--cache-seconds", "0"], temp.dir);
        // The whole store unreadable (an unmounted volume): nothing can be exported.
        renameSync(storeDir, `${storeDir}.away`);
        try {
            const response = await fetch(exporter.url);
            expect(response.status).toBe(500);
            const body = await response.text();
            expect(body).toBe("scrape failed: the exporter could not read the store; its log says why\n");
            expect(body).not.toContain(temp.dir);
            await expect.poll(() => exporter!.stderr()).toContain(`error: scrape failed: file store ${storeDir} does not exist`);
        } finally {
            renameSync(`${storeDir}.away`, storeDir);
        }
    });

    it("exports the other slices when one is unreadable, marking it, and logs why to its stderr only", async () => {
        exporter = await startExporter(["--listen", "127.0.0.1:0", "--store-dir", storeDir, "--cache-seconds", "0"], temp.dir);
        writeFileSync(path.join(storeDir, "green", "000000000002.json"), "{ not json");
        const response = await fetch(exporter.url);
        expect(response.status).toBe(200);
        const body = await response.text();
        expect(body).toMatch(/^ipam_slice_unreadable\{slice="green"\} 1$/m);
        expect(body).not.toContain(temp.dir);
        await expect.poll(() => exporter!.stderr()).toContain(`error: ${path.join(storeDir, "green")}`);
    });

    it("reuses a store read for 5 s by default; --cache-seconds 0 reads on every scrape", async () => {
        exporter = await startExporter(["--listen", "127.0.0.1:0", "--store-dir", storeDir], temp.dir);
        expect(await allocated(exporter.url)).toBe("0");
        await allocateSubnet(new FileLedgerStore(storeDir), "green", "worker-1");
        expect(await allocated(exporter.url)).toBe("0");
        await exporter.stop();

        exporter = await startExporter(["--listen", "127.0.0.1:0", "--store-dir", storeDir, "--cache-seconds", "0"], temp.dir);
        expect(await allocated(exporter.url)).toBe("1");
        await allocateSubnet(new FileLedgerStore(storeDir), "green", "worker-2");
        expect(await allocated(exporter.url)).toBe("2");
    });

    it("refuses a --cache-seconds that is not a number of seconds", async () => {
        const { runCli } = await import("../support/cli-process");
        const run = await runCli(["metrics", "--listen", ":0", "--store-dir", storeDir, "--cache-seconds", "soon"], temp.dir);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain('--cache-seconds "soon" is not a number of seconds');
    });
});
