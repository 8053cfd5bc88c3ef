import { existsSync } from "node:fs";
import * as path from "node:path";
import type * as k8s from "@kubernetes/client-node";

/** What the store uses of the Kubernetes client: the parts tools/bundle-kubernetes-client.mjs bundles. */
export type KubernetesClient = Pick<typeof k8s, "KubeConfig" | "CustomObjectsApi" | "createConfiguration" | "ServerConfiguration" | "ApiException">;

/** Where `npm run build` writes the bundle, relative to this module compiled into dist/provider/store. */
export const BUNDLED_CLIENT = path.join(__dirname, "../../vendor/kubernetes-client.cjs");

/**
 * The Kubernetes client. Loading the @kubernetes/client-node package (well
 * over a thousand modules, every API group's) costs about 0.4 s of CPU in
 * each process that touches the store — the Pulumi program (its plan reads
 * the store), the provider process, every CLI command — while one file of
 * the parts the store uses, bundled by the build, loads in about 0.06 s.
 * Code run from source (the unit tests) has no bundle and loads the package.
 */
export function kubernetesClient(): KubernetesClient {
    // Decided once per process: the store is constructed on every provider call.
    return (loaded ??= (existsSync(BUNDLED_CLIENT) ? require(BUNDLED_CLIENT) : require("@kubernetes/client-node")) as KubernetesClient);
}

let loaded: KubernetesClient | undefined;
