#!/usr/bin/env node
/**
 * The `slice-ipam` command. See `slice-ipam --help` and docs/operations.md.
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

/**
 * A reader that stops early (`slice-ipam show … | head`) closes the pipe. As
 * Unix tools do, stop writing then instead of crashing on the unhandled EPIPE;
 * the command itself still runs to its end and keeps its exit code.
 */
let readerGone = false;
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") {
        throw error;
    }
    readerGone = true;
});

runCli(process.argv.slice(2), {
    io: {
        stdout: (text) => {
            if (!readerGone) {
                process.stdout.write(text);
            }
        },
        stderr: (text) => process.stderr.write(text),
    },
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
