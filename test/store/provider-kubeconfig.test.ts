/**
 * The Kubernetes store's kubeconfig in the provider's configuration
 * (`kubeconfigFrom: "provider"`, what KubeSliceIpam gives its children):
 * the input's rules, a process that was configured with none, and the real
 * dynamic-provider host configured as the engine configures a provider.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { configureProviderKubeconfig, PROVIDER_KUBECONFIG_KEY } from "../../provider/store/provider-kubeconfig";
import { openStore } from "../../provider/store/store-spec";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { findRepoRoot, HostedProvider, ProviderHost, startProviderHost } from "../support/provider-host";
import { SAMPLE_KUBECONFIG as KUBECONFIG } from "../support/sample-kubeconfig";

const fromProvider = (namespace: string, server = "https://127.0.0.1:6443") => ({
    kind: "kubernetes" as const,
    namespace,
    kubeconfigFrom: "provider" as const,
    server,
});
const allocation = (store: object) => ({ sliceName: "jade", clusterName: "w-1", store });

afterEach(() => configureProviderKubeconfig(undefined));

describe("a store input whose kubeconfig is in the provider's configuration", () => {
    it("is checked: not with a kubeconfig of its own, and a server only with it", async () => {
        const both = await handlers.subnetAllocation.check({}, allocation({ ...fromProvider("ns"), kubeconfig: KUBECONFIG }));
        expect(both.failures).toEqual([{ property: "store", reason: expect.stringContaining("omit store.kubeconfig") }]);
        const serverAlone = await handlers.subnetAllocation.check({}, allocation({ kind: "kubernetes", namespace: "ns", server: "https://x" }));
        expect(serverAlone.failures).toEqual([{ property: "store", reason: expect.stringContaining("store.server is set only with") }]);
        const valid = await handlers.subnetAllocation.check({}, allocation(fromProvider("ns")));
        expect(valid.failures).toEqual([]);
    });

    it("fails to open, saying what to do, in a process configured with no kubeconfig", () => {
        expect(() => openStore(fromProvider("ns"))).toThrow(
            expect.objectContaining({
                code: "store-kubeconfig-not-configured",
                message: expect.stringContaining(`has no ${PROVIDER_KUBECONFIG_KEY}`),
            }),
        );
    });

    it("opens the store the configured kubeconfig reaches, the server field aside", () => {
        configureProviderKubeconfig(KUBECONFIG);
        const store = openStore(fromProvider("ns", "https://elsewhere:6443"));
        expect(store).toBeInstanceOf(KubernetesLedgerStore);
        expect(store.description).toBe("Kubernetes store https://127.0.0.1:6443 namespace ns");
    });

    it("names the provider's configuration when the kubeconfig there is bad, never quoting it", () => {
        configureProviderKubeconfig("clusters: [ {name: c, token: s3cr3t-in-config");
        let error: unknown;
        try {
            openStore(fromProvider("ns"));
        } catch (caught) {
            error = caught;
        }
        expect(error).toMatchObject({
            code: "kubeconfig-invalid",
            message: expect.stringContaining(`the store's kubeconfig, kept in the provider's configuration (${PROVIDER_KUBECONFIG_KEY})`),
        });
        expect(String((error as Error).message)).not.toContain("s3cr3t");
    });
});

describe("through the real dynamic-provider host, configured as the engine configures a provider", () => {
    let server: TestApiServer;
    const workdirs: string[] = [];
    const hosts: ProviderHost[] = [];
    const namespace = "kubeslice-config";

    beforeAll(async () => {
        server = await startTestApiServer([path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml")]);
    }, 120_000);
    afterAll(async () => {
        await Promise.all(hosts.map((host) => host.close()));
        workdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
        await server?.stop();
    });

    /** The handlers as the engine reaches them: the `__provider` text every resource of this package carries. */
    async function hosted(config: Record<string, string>): Promise<{ slices: HostedProvider; allocations: HostedProvider }> {
        const repo = findRepoRoot(__dirname);
        const workdir = mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-config-"));
        workdirs.push(workdir);
        const host = await startProviderHost({ cwd: workdir, repo, config });
        hosts.push(host);
        const handlersModule = path.join(repo, "dist/provider/handlers/index.js");
        const text = (kind: string) => `exports.handler = () => require(${JSON.stringify(handlersModule)}).providers.${kind};\n`;
        return {
            slices: await host.provider(text("sliceIpam"), "SliceIpam"),
            allocations: await host.provider(text("subnetAllocation"), "SubnetAllocation"),
        };
    }

    it("allocates and releases in the cluster its configuration's kubeconfig reaches", async () => {
        const { slices, allocations } = await hosted({ [PROVIDER_KUBECONFIG_KEY]: server.kubeconfig });
        const store = fromProvider(namespace, /server: (\S+)/.exec(server.kubeconfig)![1]);
        await slices.create({ sliceName: "jade", sliceSubnet: "10.5.0.0/16", subnetSize: 24, gracePeriodSeconds: 60, maxClusters: 10, store });
        const created = await allocations.create(allocation(store));
        expect(created.properties).toMatchObject({ subnet: "10.5.0.0/24", store });
        const cluster = new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig });
        expect((await cluster.load("jade"))!.ledger.allocations.map((a) => [a.clusterName, a.subnet, a.status])).toEqual([
            ["w-1", "10.5.0.0/24", "Allocated"],
        ]);
        await allocations.delete(created.id, created.properties);
        expect((await cluster.load("jade"))!.ledger.allocations.map((a) => a.status)).toEqual(["Released"]);
    });

    it("refuses, saying where the kubeconfig should be, when its configuration holds none", async () => {
        const { allocations } = await hosted({});
        await expect(allocations.create(allocation(fromProvider(namespace)))).rejects.toThrow(
            /has no kubeslice-ipam:kubeconfig; give the resource a KubeconfigProvider/,
        );
    });
});
