/**
 * The shared base of the resource classes: each registers its own type with
 * the handlers' module text (dynamic) or the native token, and has the
 * outputs its provider computes as properties before the provider answers.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { NATIVE_CHILDREN } from "../../native/resources";
import { ManifestFile, SliceIpam, SubnetAllocation, SubnetUsage } from "../../resources";
import { handlersModuleId, providerModuleText } from "../../resources/handlers-module";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

void pulumi.runtime.setMocks(
    {
        newResource: (args) => {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    },
    "kubeslice-ipam",
    "test",
    false,
);

beforeEach(() => {
    registered.length = 0;
});

const settled = () => new Promise((resolve) => setTimeout(resolve, 50));
/** Registrations finish in no fixed order (those with more inputs to resolve later): compared by type. */
const byType = <T extends { type: string }>(list: T[]) => [...list].sort((a, b) => a.type.localeCompare(b.type));
const store = { kind: "file" as const, directory: "store" };

describe("the dynamic resource classes", () => {
    it("register their own type, with the handlers' module text as the provider", async () => {
        new SliceIpam("blue", { sliceName: "blue", sliceSubnet: "10.1.0.0/16", store });
        new SubnetAllocation("blue-w-1", { sliceName: "blue", clusterName: "w-1", store });
        new SubnetUsage("blue-w-1-usage", { sliceName: "blue", clusterName: "w-1", workerSliceConfig: "blue-w-1", workerSliceConfigStatus: {} });
        new ManifestFile("blue-w-1-manifest", { path: "manifests/blue-w-1.yaml", content: "kind: WorkerSliceConfig\n" });
        await settled();
        expect(byType(registered).map(({ type, inputs }) => [type, inputs.__provider])).toEqual([
            ["pulumi-nodejs:dynamic/kubeslice-ipam:ManifestFile", providerModuleText("manifestFile")],
            ["pulumi-nodejs:dynamic/kubeslice-ipam:SliceIpam", providerModuleText("sliceIpam")],
            ["pulumi-nodejs:dynamic/kubeslice-ipam:SubnetAllocation", providerModuleText("subnetAllocation")],
            ["pulumi-nodejs:dynamic/kubeslice-ipam:SubnetUsage", providerModuleText("subnetUsage")],
        ]);
        expect(registered.find(({ name }) => name === "blue-w-1")?.inputs).toMatchObject({ sliceName: "blue", clusterName: "w-1", store });
    });

    it("have the outputs their provider computes as properties, before it answers", () => {
        const slice = new SliceIpam("blue", { sliceName: "blue", sliceSubnet: "10.1.0.0/16" });
        const allocation = new SubnetAllocation("blue-w-1", { sliceName: "blue", clusterName: "w-1" });
        const usage = new SubnetUsage("blue-w-1-usage", {
            sliceName: "blue",
            clusterName: "w-1",
            workerSliceConfig: "w",
            workerSliceConfigStatus: {},
        });
        const outputs: unknown[] = [slice.totalSubnets, slice.availableSubnets, allocation.subnet, allocation.index, allocation.status];
        outputs.push(allocation.allocatedAt, allocation.reused, usage.allocationStatus, usage.connectedPods);
        expect(outputs.every((output) => pulumi.Output.isInstance(output))).toBe(true);
    });

    it("name the handlers module of this source tree, beside the resources", () => {
        expect(handlersModuleId()).toBe(path.resolve(__dirname, "../../provider/handlers/index.js"));
        expect(handlersModuleId("/srv/app/node_modules/kubeslice-ipam/dist/provider")).toBe("kubeslice-ipam/dist/provider/handlers/index.js");
    });
});

describe("the native resource classes", () => {
    it("register the native tokens, with no provider text, and the same outputs", async () => {
        const slice = new NATIVE_CHILDREN.SliceIpam("blue", { sliceName: "blue", sliceSubnet: "10.1.0.0/16" });
        const allocation = new NATIVE_CHILDREN.SubnetAllocation("blue-w-1", { sliceName: "blue", clusterName: "w-1" });
        new NATIVE_CHILDREN.ManifestFile("blue-w-1-manifest", { path: "m.yaml", content: "" });
        await settled();
        expect(byType(registered).map(({ type }) => type)).toEqual([
            "kubeslice-ipam:index:ManifestFile",
            "kubeslice-ipam:index:SliceIpam",
            "kubeslice-ipam:index:SubnetAllocation",
        ]);
        expect(registered.every(({ inputs }) => !("__provider" in inputs))).toBe(true);
        expect([slice.totalSubnets, slice.availableSubnets, allocation.subnet, allocation.reused].every((o) => pulumi.Output.isInstance(o))).toBe(
            true,
        );
    });
});
