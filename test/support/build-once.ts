import { execFileSync } from "node:child_process";
import * as path from "node:path";

/** Builds dist/ once per run, as `npm run build` does: serialized providers and child processes load compiled JavaScript. */
export default function setup(): void {
    const root = path.resolve(__dirname, "../..");
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
        cwd: root,
        stdio: "inherit",
    });
    execFileSync(process.execPath, [path.join(root, "tools/bundle-kubernetes-client.mjs")], { cwd: root, stdio: "inherit" });
}
