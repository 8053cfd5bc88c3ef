#!/usr/bin/env node
/**
 * The `slice-ipam` command. See `slice-ipam --help` and the README's
 * Operations section.
 */
import { runCli } from "../cli/program";

/** Resolves on the first SIGINT or SIGTERM, so `metrics --listen` can close its server and exit 0. */
function untilStopped(): Promise<void> {
    return new Promise((resolve) => {
        const stop = () => {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
    });
}

runCli(process.argv.slice(2), {
    io: { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
    untilStopped,
}).then(
    (code) => {
        process.exitCode = code;
    },
    (error: unknown) => {
        process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
        process.exitCode = 6;
    },
);
