/**
 * The Kubernetes client the store loads: from dist/, the one-file bundle the
 * build makes (provider/store/kubernetes-client.ts says why), shipped in the
 * package; from source, the package itself.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { kubernetesClient as fromSource } from "../../provider/store/kubernetes-client";
import { findRepoRoot } from "../support/provider-host";
import { SAMPLE_KUBECONFIG as KUBECONFIG } from "../support/sample-kubeconfig";

const ROOT = findRepoRoot(__dirname);
const built = require(path.join(ROOT, "dist/provider/store/kubernetes-client")) as typeof import("../../provider/store/kubernetes-client");

describe("the Kubernetes client", () => {
    it("is loaded from the bundle in dist/vendor by the built store", () => {
        expect(existsSync(built.BUNDLED_CLIENT)).toBe(true);
        const client = built.kubernetesClient();
        expect(client).toBe(require(built.BUNDLED_CLIENT));
        expect(client.KubeConfig).not.toBe(require("@kubernetes/client-node").KubeConfig);
    });

    it("from the bundle, does what the store needs of it: a kubeconfig, a configured CustomObjectsApi, the ApiException type", () => {
        for (const client of [built.kubernetesClient(), fromSource()]) {
            const config = new client.KubeConfig();
            config.loadFromString(KUBECONFIG);
            expect(config.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
            const api = new client.CustomObjectsApi(
                client.createConfiguration({
                    baseServer: new client.ServerConfiguration("https://127.0.0.1:6443", {}),
                    authMethods: { default: config },
                }),
            );
            expect(typeof api.replaceNamespacedCustomObjectStatus).toBe("function");
            expect(new client.ApiException(404, "m", {}, {})).toBeInstanceOf(Error);
        }
    });

    it("is in the package npm publishes", () => {
        const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" })) as {
            files: { path: string }[];
        }[];
        expect(packed.files.map((file) => file.path)).toContain("dist/vendor/kubernetes-client.cjs");
    });
});
