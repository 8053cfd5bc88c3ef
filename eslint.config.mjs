// Lint rules for the whole tree (`npm run lint`). Layout is Prettier's job
// (.prettierrc.json, `npm run format`): nothing here concerns formatting.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["dist/", "coverage/", "test/e2e/.work/", "**/node_modules/"] },
    js.configs.recommended,
    tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: {
            // Typed rules: the tsconfig that `npm run typecheck` uses (tests and examples included).
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            // A promise nobody awaits loses its rejection; in a provider that is a lost error.
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
            "@typescript-eslint/await-thenable": "error",
            // Lazy require() is deliberate: provider objects load their implementation by
            // module id inside each call, and the handlers module loads Pulumi only when it logs.
            "@typescript-eslint/no-require-imports": "off",
            // `_name` marks what a destructuring leaves out on purpose.
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
        },
    },
    {
        // Tests and benchmarks read untyped JSON (engine events, API server objects, stack exports).
        files: ["test/**/*.ts", "bench/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
    {
        // CommonJS: the test workers, and the plugin's entry point (plugin/index.js).
        files: ["**/*.cjs", "plugin/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly", console: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
