import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // The end-to-end suite needs the Pulumi CLI (Go): `npm run test:e2e`, see vitest.e2e.config.ts.
        exclude: [...configDefaults.exclude, "test/e2e/**"],
        // Tests that drive Pulumi's dynamic-provider host or spawn processes load the built package.
        globalSetup: ["test/support/build-once.ts"],
        reporters: ["default", "./test/support/summary-reporter.ts"],
        testTimeout: 60_000,
        hookTimeout: 60_000,
    },
});
