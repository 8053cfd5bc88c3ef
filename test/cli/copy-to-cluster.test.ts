/**
 * The documented procedure for moving a file-store ledger into the cluster:
 * `slice-ipam copy` (the built CLI, a child process) into a real API server,
 * then the resources' store input switched to the Kubernetes store — an
 * in-place update through Pulumi's dynamic-provider host that keeps every
 * subnet — then life goes on in the new store.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { KubernetesLedgerStore } from "../../provider/store/kubernetes-store";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { findRepoRoot, HostedIpam, HostedProvider, startHostedIpam } from "../support/provider-host";

const repo = findRepoRoot(__dirname);
const CLI = path.join(repo, "dist", "bin", "slice-ipam.js");
const CRD = path.resolve(__dirname, "../../deploy/kubernetes/sliceipam-crd.yaml");

let server: TestApiServer;
let ipam: HostedIpam;
let slices: HostedProvider;
let allocations: HostedProvider;
const namespace = `ns-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
    server = await startTestApiServer([CRD]);
    ipam = await startHostedIpam();
    ({ slices, allocations } = ipam);
}, 1_200_000);
afterAll(async () => {
    await ipam?.close();
    await server?.stop();
});

function copy(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
        execFile(process.execPath, [CLI, ...args], { cwd: ipam.workdir, timeout: 60_000 }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
        ),
    );
}

describe("moving a file-store ledger into the cluster", () => {
    it("copies, switches the stacks' store in place, and keeps every subnet", async () => {
        const fileStore = { kind: "file" as const, directory: path.join(ipam.workdir, ".slice-ipam") };
        const clusterStore = { kind: "kubernetes" as const, namespace, kubeconfig: server.kubeconfig };

        // A deployment on the file store: worker-1 active, worker-2 released and reserved.
        const sliceInputs = (await slices.check({}, { sliceName: "blue", sliceSubnet: "10.2.0.0/16", store: fileStore })).inputs;
        const slice = await slices.create(sliceInputs);
        const w1Inputs = (await allocations.check({}, { sliceName: "blue", clusterName: "worker-1", store: fileStore })).inputs;
        const worker1 = await allocations.create(w1Inputs);
        const files = new FileLedgerStore(fileStore.directory);
        await allocateSubnet(files, "blue", "worker-2");
        await releaseSubnet(files, "blue", "worker-2");

        // Switching the store before copying is refused, and writes nothing.
        const early = await slices
            .update("blue", slice.properties, (await slices.check(sliceInputs, { ...sliceInputs, store: clusterStore })).inputs)
            .then(
                () => "updated",
                (error: Error) => error.message,
            );
        expect(early).toContain(`slice "blue" is not in Kubernetes store`);
        expect(early).toContain("copy its ledger there first (slice-ipam copy");

        const copied = await copy(["copy", "--to-namespace", namespace, "--to-kubeconfig", server.kubeconfigPath]);
        expect(copied.stderr).toBe("");
        expect(copied.code).toBe(0);
        expect(copied.stdout).toMatch(/^SLICE\s+RESULT\nblue\s+copied\n$/);
        const again = await copy(["-o", "json", "copy", "--to-namespace", namespace, "--to-kubeconfig", server.kubeconfigPath]);
        expect(JSON.parse(again.stdout)).toMatchObject({ copied: [], alreadyPresent: ["blue"] });

        const inCluster = (await new KubernetesLedgerStore(clusterStore).load("blue"))!.ledger;
        expect(inCluster).toEqual((await files.load("blue"))!.ledger);

        // The stacks now name the cluster store: an update in place, no replacement, same subnets.
        const newSliceInputs = (await slices.check(sliceInputs, { ...sliceInputs, store: clusterStore })).inputs;
        const sliceDiff = await slices.diff("blue", slice.properties, newSliceInputs);
        expect([sliceDiff.changes, sliceDiff.replaces]).toEqual(["some", []]);
        const updatedSlice = await slices.update("blue", slice.properties, newSliceInputs);
        expect(updatedSlice.properties).toMatchObject({ availableSubnets: 254, totalSubnets: 256 });

        const newW1Inputs = (await allocations.check(w1Inputs, { ...w1Inputs, store: clusterStore })).inputs;
        const allocationDiff = await allocations.diff("blue/worker-1", worker1.properties, newW1Inputs);
        expect([allocationDiff.changes, allocationDiff.replaces]).toEqual(["some", []]);
        const moved = await allocations.update("blue/worker-1", worker1.properties, newW1Inputs);
        expect(moved.properties).toMatchObject({ subnet: "10.2.0.0/24", index: 0, status: "Allocated" });

        // Life goes on in the cluster: worker-2's reservation came along, a new cluster gets the next free subnet.
        const w3 = (await allocations.check({}, { sliceName: "blue", clusterName: "worker-3", store: clusterStore })).inputs;
        expect((await allocations.create(w3)).properties.subnet).toBe("10.2.2.0/24");
        const w2 = (await allocations.check({}, { sliceName: "blue", clusterName: "worker-2", store: clusterStore })).inputs;
        expect((await allocations.create(w2)).properties).toMatchObject({ subnet: "10.2.1.0/24", reused: true });
    });

    it("refuses to copy over a different slice of the same name, writing nothing", async () => {
        const other = path.join(ipam.workdir, "other-store");
        await registerSlice(new FileLedgerStore(other), sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", subnetSize: 26 }));
        const refused = await copy(["--store-dir", other, "copy", "--to-namespace", namespace, "--to-kubeconfig", server.kubeconfigPath]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain(`slice "blue" already exists in Kubernetes store`);
        expect((await new KubernetesLedgerStore({ namespace, kubeconfig: server.kubeconfig }).load("blue"))!.ledger.spec.subnetSize).toBe(24);
    });
});
