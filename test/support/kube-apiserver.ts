import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type * as k8s from "@kubernetes/client-node";
import { findRepoRoot } from "./provider-host";

const run = promisify(execFile);
// From the repository root, so that the benchmark (compiled into dist/) finds it too.
const SCRIPT = path.join(findRepoRoot(__dirname), "test/kube-apiserver/apiserver.sh");

/** A real apiextensions-apiserver with embedded etcd, started by the project's script. */
export interface TestApiServer {
    readonly kubeconfigPath: string;
    readonly kubeconfig: string;
    readonly client: typeof k8s;
    readonly config: k8s.KubeConfig;
    /** Stops the server process; its data and address stay for `resume`. */
    kill(): Promise<void>;
    /** Starts a killed server again: same address, same credentials, same data. */
    resume(): Promise<void>;
    stop(): Promise<void>;
}

/**
 * Builds (first time: minutes, then cached) and starts the server, then
 * installs the CRDs given and waits until they are Established.
 */
export async function startTestApiServer(crdFiles: readonly string[]): Promise<TestApiServer> {
    const workdir = mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-kas-"));
    const { stdout } = await run("bash", [SCRIPT, "start", workdir], { maxBuffer: 1 << 20 });
    const kubeconfigPath = stdout.trim().split("\n").pop()!;
    const kubeconfig = readFileSync(kubeconfigPath, "utf8");
    const client = require("@kubernetes/client-node") as typeof k8s;
    const config = new client.KubeConfig();
    config.loadFromString(kubeconfig);
    const stop = async () => {
        await run("bash", [SCRIPT, "stop", workdir]).catch(() => undefined);
        rmSync(workdir, { recursive: true, force: true });
    };
    try {
        const extensions = config.makeApiClient(client.ApiextensionsV1Api);
        for (const file of crdFiles) {
            const documents = client.loadAllYaml(readFileSync(file, "utf8")) as k8s.V1CustomResourceDefinition[];
            for (const crd of documents.filter((doc) => doc?.kind === "CustomResourceDefinition")) {
                await extensions.createCustomResourceDefinition({ body: crd });
                await waitEstablished(extensions, crd.metadata!.name!);
            }
        }
    } catch (error) {
        await stop();
        throw error;
    }
    const kill = async () => void (await run("bash", [SCRIPT, "kill", workdir]));
    const resume = async () => void (await run("bash", [SCRIPT, "resume", workdir]));
    return { kubeconfigPath, kubeconfig, client, config, kill, resume, stop };
}

async function waitEstablished(api: k8s.ApiextensionsV1Api, name: string): Promise<void> {
    for (let attempt = 0; attempt < 300; attempt++) {
        const crd = await api.readCustomResourceDefinition({ name });
        if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`CRD ${name} did not become Established`);
}
