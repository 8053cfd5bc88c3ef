/**
 * One scenario suite, two stores: the providers behave the same on the file
 * store and on the Kubernetes store (a real API server).
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll } from "vitest";
import { FileLedgerStore } from "../../provider/store/file-store";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { describeProviderScenarios } from "../support/provider-scenarios";
import { makeTempDir } from "../support/temp-dir";

const temp = makeTempDir();
let server: TestApiServer | undefined;
afterAll(async () => {
    await server?.stop();
    temp.remove();
});

describeProviderScenarios("file store", async () => {
    const directory = path.join(temp.dir, "store");
    return { input: { kind: "file", directory }, client: new FileLedgerStore(directory) };
});

describeProviderScenarios("Kubernetes store", async () => {
    server = await startTestApiServer([path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml")]);
    const input = { kind: "kubernetes" as const, namespace: `ns-${randomBytes(4).toString("hex")}`, kubeconfig: server.kubeconfig };
    return { input, client: new KubernetesLedgerStore(input) };
});
