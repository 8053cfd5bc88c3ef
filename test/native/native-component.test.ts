/**
 * The native provider's `construct` for KubeSliceIpam, under runtime mocks
 * whose registrations are served by the native provider's own adapter (its
 * check and create over the handlers, a file store in a temp directory).
 * The engine-level behaviour is in test/e2e/native-component.e2e.test.ts.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { COMPONENT_INPUTS, COMPONENT_OUTPUTS } from "../../native/component";
import { componentUrn } from "../../native/in-flight-constructs";
import { KubesliceIpamProvider } from "../../native/provider";
import { packageSchema } from "../../native/schema";
import { makeTempDir } from "../support/temp-dir";

const provider = new KubesliceIpamProvider("0.1.0");
const registrations: { type: string; name: string }[] = [];
/** Every registration's work (check and create through the adapter), so a test can wait for files to be written. */
const pending: Promise<unknown>[] = [];

async function serve(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, any> }> {
    if (args.type === "kubeslice-ipam:index:KubeSliceIpam") {
        return { id: undefined, state: {} };
    }
    const urn = `urn:pulumi:test::kubeslice-ipam::${args.type}::${args.name}`;
    const checked = await provider.check(urn, {}, args.inputs);
    if (checked.failures?.length) {
        throw new Error(checked.failures.map((f) => f.reason).join("; "));
    }
    const created = await provider.create(urn, checked.inputs ?? {});
    return { id: created.id, state: created.outs ?? {} };
}

void pulumi.runtime.setMocks(
    {
        newResource(args) {
            registrations.push({ type: args.type, name: args.name });
            const work = serve(args);
            pending.push(work);
            return work;
        },
        call: (args) => args.inputs,
    },
    "kubeslice-ipam",
    "test",
    false,
);

function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

let temp: ReturnType<typeof makeTempDir>;
const started = process.cwd();
beforeAll(() => {
    temp = makeTempDir();
    process.chdir(temp.dir); // the project directory, as for the plugin: manifest files are written inside it
});
afterAll(() => {
    process.chdir(started);
    temp.remove();
});

describe("construct", () => {
    it("builds the component from the plugin's own resource types, and answers with its outputs", async () => {
        const store = { kind: "file", directory: path.join(temp.dir, "store") };
        const manifests = path.join(temp.dir, "manifests");
        const result = await provider.construct(
            "jade",
            "kubeslice-ipam:index:KubeSliceIpam",
            {
                sliceName: "jade",
                namespace: "kubeslice-e2e",
                sliceSubnet: "10.5.0.0/16",
                clusters: ["w-2", "w-1"],
                store,
                manifestsDirectory: manifests,
            },
            {},
        );
        // Planned in the order listed, as in a TypeScript program.
        expect(await valueOf(result.state.subnets)).toEqual({ "w-2": "10.5.0.0/24", "w-1": "10.5.1.0/24" });
        expect(await valueOf(result.state.totalSubnets)).toBe(256);
        expect(await valueOf(result.state.availableSubnets)).toBe(254);
        expect(await valueOf(result.state.utilization)).toBe(2 / 256);
        expect(Object.keys(result.state).sort()).toEqual([
            "availableSubnets",
            "subnets",
            "subnetsIpv6",
            "totalSubnets",
            "totalSubnetsExact",
            "utilization",
        ]);
        expect(await valueOf(result.state.totalSubnetsExact)).toBe("256");
        expect(await valueOf(result.state.subnetsIpv6)).toEqual({}); // a single-stack slice
        // The manifest files are registered once their subnets are known, after the outputs above.
        await vi.waitFor(() =>
            expect(registrations.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
                [
                    "kubeslice-ipam:index:KubeSliceIpam jade",
                    "kubeslice-ipam:index:SliceIpam jade",
                    "kubeslice-ipam:index:SubnetAllocation jade-w-1",
                    "kubeslice-ipam:index:SubnetAllocation jade-w-2",
                    "kubeslice-ipam:index:ManifestFile jade-w-1-manifest",
                    "kubeslice-ipam:index:ManifestFile jade-w-2-manifest",
                ].sort(),
            ),
        );
        await Promise.all(pending);
        expect(readFileSync(path.join(manifests, "jade-w-1.yaml"), "utf8")).toContain("clusterSubnetCIDR: 10.5.1.0/24");
    });

    it("refuses names that are not known when the program runs, naming the component and the fields", async () => {
        await expect(
            provider.construct(
                "jade",
                "kubeslice-ipam:index:KubeSliceIpam",
                { sliceName: pulumi.secret("jade"), namespace: "ns", sliceSubnet: "10.5.0.0/16", clusters: ["w-1", pulumi.output("w-2")] },
                {},
            ),
        ).rejects.toThrow('KubeSliceIpam "jade": sliceName, clusters must be known when the program runs');
    });

    it("reports every invalid argument at once, naming the slice and the clusters", async () => {
        await expect(
            provider.construct(
                "jade",
                "kubeslice-ipam:index:KubeSliceIpam",
                { sliceName: "jade", namespace: "ns", sliceSubnet: "10.5.0.0/16", clusters: ["w-1", "w-1", "W_2"] },
                {},
            ),
        ).rejects.toThrow(
            'KubeSliceIpam "jade" has invalid arguments:\n  - cluster "w-1" is listed more than once; each cluster joins a slice once\n  - cluster "W_2" is not a valid DNS-1123 label',
        );
    });

    it("lists an invalid sliceSubnet and every other invalid argument together, before registering any child", async () => {
        const before = registrations.length;
        await expect(
            provider.construct(
                "jade",
                "kubeslice-ipam:index:KubeSliceIpam",
                { sliceName: "jade", namespace: "ns", sliceSubnet: "8.8.8.0/24", subnetSize: 40, maxClusters: 0, clusters: ["W_2"] },
                {},
            ),
        ).rejects.toThrow(
            'KubeSliceIpam "jade" has invalid arguments:\n  - cluster "W_2" is not a valid DNS-1123 label: use 1-63 lowercase letters, ' +
                "digits or '-', starting and ending with a letter or digit (e.g. \"cluster-1\")\n" +
                '  - sliceSubnet "8.8.8.0/24" is not a private IP range; use a block inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (e.g. "10.1.0.0/16")\n' +
                "  - maxClusters must be a whole number between 1 and 4096; got 0\n" +
                '  - subnetSize must be a whole number between 16 and 30 for an IPv4 sliceSubnet such as "8.8.8.0/24"; got 40 (e.g. 30)',
        );
        expect(registrations.length).toBe(before);
    });

    it("refuses a plan the store cannot satisfy before building anything, with the planner's message", async () => {
        const before = registrations.length;
        const store = { kind: "file", directory: path.join(temp.dir, "pins") };
        await expect(
            provider.construct(
                "opal",
                "kubeslice-ipam:index:KubeSliceIpam",
                { sliceName: "opal", namespace: "ns", sliceSubnet: "10.6.0.0/16", clusters: ["w-1"], pinnedSubnets: { "w-1": "10.7.0.0/24" }, store },
                {},
            ),
        ).rejects.toThrow(/^KubeSliceIpam "opal" cannot place its clusters:\n {2}- .*"w-1"/);
        expect(registrations.length).toBe(before);
    });

    it("refuses a component type it does not provide", async () => {
        await expect(provider.construct("x", "kubeslice-ipam:index:Nope", {}, {})).rejects.toThrow(
            'kubeslice-ipam has no component type "kubeslice-ipam:index:Nope"; its component is kubeslice-ipam:index:KubeSliceIpam',
        );
    });
});

describe("the component's schema", () => {
    const schema = packageSchema("0.1.0") as any;
    const component = schema.resources["kubeslice-ipam:index:KubeSliceIpam"];
    it("is a component whose inputs are the ones construct passes on, and whose outputs are the ones it registers", () => {
        expect(component.isComponent).toBe(true);
        expect(Object.keys(component.inputProperties).sort()).toEqual([...COMPONENT_INPUTS].sort());
        expect(Object.keys(component.properties).sort()).toEqual([
            "availableSubnets",
            "subnets",
            "subnetsIpv6",
            "totalSubnets",
            "totalSubnetsExact",
            "utilization",
        ]);
        expect([...COMPONENT_OUTPUTS].sort()).toEqual(Object.keys(component.properties).sort()); // what a construct cut short answers, unknown
        expect(component.inputProperties.store.$ref).toBe("#/types/kubeslice-ipam:index:Store");
    });
});

describe("the URN a construct cut short answers with (in-flight-constructs.ts)", () => {
    const request = (parent: string) => ({
        getProject: () => "team",
        getStack: () => "dev",
        getType: () => "kubeslice-ipam:index:KubeSliceIpam",
        getName: () => "teal",
        getParent: () => parent,
    });
    it("is the one the SDK gives the component: the stack's type left out, any other parent's type chain kept", () => {
        expect(componentUrn(request("urn:pulumi:dev::team::pulumi:pulumi:Stack::team-dev"))).toBe(
            "urn:pulumi:dev::team::kubeslice-ipam:index:KubeSliceIpam::teal",
        );
        expect(componentUrn(request(""))).toBe("urn:pulumi:dev::team::kubeslice-ipam:index:KubeSliceIpam::teal");
        expect(componentUrn(request("urn:pulumi:dev::team::my:index:Platform$my:index:Team::blue"))).toBe(
            "urn:pulumi:dev::team::my:index:Platform$my:index:Team$kubeslice-ipam:index:KubeSliceIpam::teal",
        );
    });
});
