import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    /**
     * A kubeconfig for a new identity in certificate group `group` (not
     * system:masters): it may do only what `grant` gives that group.
     */
    kubeconfigFor(group: string): Promise<string>;
    /** Grants `group` the rules of the ClusterRole/Role documents in `rbacYaml` (replacing earlier grants); read by the server on each request. */
    grant(group: string, rbacYaml: string): void;
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
    const kubeconfigFor = (group: string) => identityKubeconfig(workdir, kubeconfig, group);
    const grant = (group: string, rbacYaml: string) => writeFileSync(path.join(workdir, "rbac", `${group}.yaml`), rbacYaml);
    return { kubeconfigPath, kubeconfig, client, config, kubeconfigFor, grant, kill, resume, stop };
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

/** Signs a client certificate for `group` with the server's CA (what a cluster admin's CSR approval does). */
async function identityKubeconfig(workdir: string, kubeconfig: string, group: string): Promise<string> {
    const base = path.join(workdir, `identity-${group}`);
    await run("openssl", [
        "req",
        "-config",
        path.join(workdir, "openssl.cnf"),
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        `/O=${group}/CN=${group}-user`,
        "-keyout",
        `${base}.key`,
        "-out",
        `${base}.csr`,
    ]);
    await run("openssl", [
        "x509",
        "-req",
        "-in",
        `${base}.csr`,
        "-CA",
        path.join(workdir, "ca.crt"),
        "-CAkey",
        path.join(workdir, "ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        path.join(workdir, "openssl.cnf"),
        "-extensions",
        "client",
        "-out",
        `${base}.crt`,
    ]);
    const b64 = (file: string) => readFileSync(file).toString("base64");
    return kubeconfig
        .replace(/client-certificate-data: .*/, `client-certificate-data: ${b64(`${base}.crt`)}`)
        .replace(/client-key-data: .*/, `client-key-data: ${b64(`${base}.key`)}`);
}
