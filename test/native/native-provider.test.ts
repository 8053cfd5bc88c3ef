/**
 * The native provider's adapter, called as the SDK's provider server calls
 * it (secrets as sigil objects, URNs naming the type). The engine-level
 * behaviour is in test/e2e/native-provider.e2e.test.ts.
 */
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sliceIpamInputShape, subnetAllocationInputShape } from "../../provider/handlers/inputs";
import { KubesliceIpamProvider, parseImportId } from "../../native/provider";
import { packageSchema } from "../../native/schema";
import { secret, unwrapSecrets } from "../../native/wire";
import { FileLedgerStore } from "../../provider/store/file-store";
import { fileStoreSpecSchema, kubernetesStoreSpecSchema } from "../../provider/store/store-spec";
import { makeTempDir } from "../support/temp-dir";

const SLICE_URN = "urn:pulumi:dev::team::kubeslice-ipam:index:SliceIpam::blue";
const ALLOCATION_URN = "urn:pulumi:dev::team::kubeslice-ipam:index:SubnetAllocation::blue-w-1";
const SIG = "4dabf18193072939515e22adb298388d";

let temp: { dir: string; remove: () => void };
let store: { kind: "file"; directory: string };
const provider = new KubesliceIpamProvider("0.1.0");

beforeEach(() => {
    temp = makeTempDir();
    store = { kind: "file", directory: path.join(temp.dir, "store") };
});
afterEach(() => temp.remove());

describe("wire values", () => {
    it("unwraps nested secrets and says whether there were any", () => {
        expect(unwrapSecrets({ a: secret({ b: secret("x") }), c: [secret(1), 2] })).toEqual({ value: { a: { b: "x" }, c: [1, 2] }, hadSecret: true });
        expect(unwrapSecrets({ a: "plain" })).toEqual({ value: { a: "plain" }, hadSecret: false });
    });
});

describe("import ids", () => {
    it("reads the resource's own id, and an optional store after @", () => {
        expect(parseImportId(ALLOCATION_URN, "blue/w-1")).toEqual({ id: "blue/w-1", props: { sliceName: "blue", clusterName: "w-1" } });
        expect(parseImportId(ALLOCATION_URN, "blue/w-1@file:/srv/ipam")).toEqual({
            id: "blue/w-1",
            props: { sliceName: "blue", clusterName: "w-1", store: { kind: "file", directory: "/srv/ipam" } },
        });
        expect(parseImportId(SLICE_URN, "blue@kubernetes:kubeslice-cisco")).toEqual({
            id: "blue",
            props: { sliceName: "blue", store: { kind: "kubernetes", namespace: "kubeslice-cisco" } },
        });
        expect(() => parseImportId(SLICE_URN, "blue@s3:bucket")).toThrow(
            'import id "blue@s3:bucket": the store after "@" must be file:<directory> or kubernetes:<namespace>',
        );
    });
});

describe("the schema", () => {
    const schema = packageSchema("0.1.0") as any;
    it("has the inputs the zod shapes validate, no more, no fewer", () => {
        expect(Object.keys(schema.resources["kubeslice-ipam:index:SliceIpam"].inputProperties).sort()).toEqual(
            Object.keys(sliceIpamInputShape).sort(),
        );
        expect(Object.keys(schema.resources["kubeslice-ipam:index:SubnetAllocation"].inputProperties).sort()).toEqual(
            Object.keys(subnetAllocationInputShape).sort(),
        );
        const storeKeys = new Set([...Object.keys(fileStoreSpecSchema.shape), ...Object.keys(kubernetesStoreSpecSchema.shape)]);
        expect(Object.keys(schema.types["kubeslice-ipam:index:Store"].properties).sort()).toEqual([...storeKeys].sort());
    });
    it("marks the kubeconfig secret", () => {
        expect(schema.types["kubeslice-ipam:index:Store"].properties.kubeconfig.secret).toBe(true);
    });
});

describe("the adapter over the handlers", () => {
    it("creates, reads back and imports an allocation, answering an import with inputs for generated code", async () => {
        const slice = await provider.create(SLICE_URN, {
            sliceName: "blue",
            sliceSubnet: "10.9.0.0/16",
            subnetSize: 24,
            gracePeriodSeconds: 86400,
            maxClusters: 4096,
            store,
        });
        expect(slice.id).toBe("blue");
        const created = await provider.create(ALLOCATION_URN, { sliceName: "blue", clusterName: "w-1", store });
        expect(created).toMatchObject({ id: "blue/w-1", outs: { subnet: "10.9.0.0/24", index: 0, status: "Allocated" } });

        const refreshed = await provider.read("blue/w-1", ALLOCATION_URN, created.outs);
        expect(refreshed.props).toMatchObject({ subnet: "10.9.0.0/24" });

        const imported = await provider.read(`blue/w-1@file:${store.directory}`, ALLOCATION_URN, {});
        expect(imported).toMatchObject({ id: "blue/w-1", props: { subnet: "10.9.0.0/24", status: "Allocated" } });
        expect(imported.inputs).toEqual({ sliceName: "blue", clusterName: "w-1", store });
    });

    it("records its writes in the slice's history as the stack and project the URN names", async () => {
        await provider.create(SLICE_URN, {
            sliceName: "blue",
            sliceSubnet: "10.9.0.0/16",
            subnetSize: 24,
            gracePeriodSeconds: 86400,
            maxClusters: 4096,
            store,
        });
        await provider.create(ALLOCATION_URN, { sliceName: "blue", clusterName: "w-1", store });
        await provider.delete("blue/w-1", ALLOCATION_URN, { sliceName: "blue", clusterName: "w-1", store });
        const history = (await new FileLedgerStore(store.directory).load("blue"))!.ledger.history ?? [];
        expect(history.map((event) => [event.action, event.actor.via, event.actor.project, event.actor.stack])).toEqual([
            ["registered", "pulumi", "team", "dev"],
            ["allocated", "pulumi", "team", "dev"],
            ["released", "pulumi", "team", "dev"],
        ]);
    });

    it("answers a read of an allocation gone from the store with an empty id (the engine drops it)", async () => {
        await provider.create(SLICE_URN, {
            sliceName: "blue",
            sliceSubnet: "10.9.0.0/16",
            subnetSize: 24,
            gracePeriodSeconds: 86400,
            maxClusters: 4096,
            store,
        });
        expect(await provider.read("blue/nobody", ALLOCATION_URN, { sliceName: "blue", clusterName: "nobody", store })).toEqual({
            id: "",
            props: {},
        });
    });

    it("checks through the handlers: one failure per bad property, nothing written", async () => {
        const result = await provider.check(ALLOCATION_URN, {}, { sliceName: "Blue", clusterName: "w_1", store });
        expect(result.failures?.map((f) => f.property).sort()).toEqual(["clusterName", "sliceName"]);
        expect(await provider.read("blue", SLICE_URN, { sliceName: "blue", store }).catch((e: Error) => e.message)).toMatch(/does not exist/);
    });

    it("takes a secret store in and keeps it secret on the way out", async () => {
        const kubernetesStore = { kind: "kubernetes", namespace: "ns", kubeconfig: secret("apiVersion: v1") };
        const checked = await provider.check(ALLOCATION_URN, {}, { sliceName: "blue", clusterName: "w-1", store: kubernetesStore });
        expect(checked.failures).toEqual([]);
        expect((checked.inputs as any).store[SIG]).toBeDefined();
        expect((checked.inputs as any).store.value).toEqual({ kind: "kubernetes", namespace: "ns", kubeconfig: "apiVersion: v1" });
    });

    it("refuses a type it does not provide, naming the ones it does", async () => {
        await expect(provider.create("urn:pulumi:dev::team::kubeslice-ipam:index:Nope::x", {})).rejects.toThrow(
            'kubeslice-ipam has no resource type "kubeslice-ipam:index:Nope"; it provides kubeslice-ipam:index:SliceIpam, kubeslice-ipam:index:SubnetAllocation, kubeslice-ipam:index:ManifestFile',
        );
    });
});
