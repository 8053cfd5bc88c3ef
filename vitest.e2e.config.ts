import { defineConfig } from "vitest/config";

/**
 * End-to-end suite: the real Pulumi engine (test/pulumi-cli) runs preview,
 * up, refresh and destroy on the examples and on test/e2e/programs.
 * `npm run test:e2e`; not part of `npm test`.
 */
export default defineConfig({
    test: {
        include: ["test/e2e/**/*.e2e.test.ts"],
        globalSetup: ["test/e2e/support/global-setup.ts"],
        reporters: ["default", "./test/support/summary-reporter.ts"],
        // Files run in parallel (each has its own backend and store); the
        // tests of one file are one stack's history and run in order.
        maxWorkers: 2,
        testTimeout: 300_000,
        hookTimeout: 300_000,
    },
});
