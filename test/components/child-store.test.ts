/**
 * What KubeSliceIpam's children get for the store (components/child-store.ts):
 * a kubeconfig moves into a provider of their own, registered once, and
 * every other store input passes through untouched.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { DYNAMIC_CHILDREN } from "../../components/child-resources";
import { childStore } from "../../components/child-store";
import { NATIVE_CHILDREN } from "../../native/resources";
import { StoreInput, withSecretStore } from "../../resources/store-input";

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}
const registrations: Registration[] = [];
void pulumi.runtime.setMocks(
    {
        async newResource(args) {
            registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    },
    "kubeslice-ipam",
    "test",
    false,
);

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}, {name: d, cluster: {server: "https://10.0.0.2:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}, {name: y, context: {cluster: d, user: u}}]
current-context: x
`;

class Parent extends pulumi.ComponentResource {
    constructor(name: string) {
        super("test:index:Parent", name, {});
    }
}

/** How the mocks see a secret input. */
const secretOf = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const valueOf = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));
const isSecret = <T>(output: pulumi.Output<T>): Promise<boolean> => (output as unknown as { isSecret: Promise<boolean> }).isSecret;

/** `childStore` for `store`, with what it registered and what its store input resolves to. */
async function routed(name: string, store: pulumi.Input<StoreInput> | undefined, classes = DYNAMIC_CHILDREN) {
    registrations.length = 0;
    const parent = new Parent(name);
    const routing = childStore(parent, name, store, classes);
    const resolved = routing.store === undefined ? undefined : await valueOf(pulumi.output(routing.store));
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the mocked registrations land
    const providers = registrations.filter((r) => r.type === "pulumi:providers:pulumi-nodejs");
    return { routing, resolved, providers };
}

describe("the store input KubeSliceIpam gives its children", () => {
    it("moves a kubeconfig into one provider, as a secret, and names the server the context reaches", async () => {
        const kubeconfig = pulumi.secret(KUBECONFIG);
        const store = kubeconfig.apply((contents) => ({ kind: "kubernetes" as const, namespace: "ipam", kubeconfig: contents, context: "y" }));
        const { routing, resolved, providers } = await routed("blue", store);
        expect(resolved).toEqual({
            kind: "kubernetes",
            namespace: "ipam",
            context: "y",
            kubeconfigFrom: "provider",
            server: "https://10.0.0.2:6443",
        });
        // The kubeconfig is the secret; what is left names a namespace and a server, readable in previews and state.
        expect(await isSecret(pulumi.output(routing.store!))).toBe(false);
        expect(withSecretStore(routing.store, { parent: undefined })).toEqual({ parent: undefined });
        expect(providers.map((p) => [p.name, p.inputs])).toEqual([["blue-store", { "kubeslice-ipam:kubeconfig": secretOf(KUBECONFIG) }]]);
        expect(routing.provider).toBeInstanceOf(pulumi.ProviderResource);
    });

    it("does the same for a plain object with a plain kubeconfig, and makes the provider's copy secret", async () => {
        const { resolved, providers } = await routed("green", { kind: "kubernetes", namespace: "ipam", kubeconfig: KUBECONFIG });
        expect(resolved).toEqual({ kind: "kubernetes", namespace: "ipam", kubeconfigFrom: "provider", server: "https://10.0.0.1:6443" });
        expect(providers.map((p) => [p.name, p.inputs])).toEqual([["green-store", { "kubeslice-ipam:kubeconfig": secretOf(KUBECONFIG) }]]);
    });

    it("leaves a file store, a KUBECONFIG-read store and no store alone, on the default provider", async () => {
        for (const store of [undefined, { kind: "file" as const, directory: "state" }, { kind: "kubernetes" as const, namespace: "ipam" }]) {
            const { routing, resolved, providers } = await routed("plain", store);
            expect(resolved).toEqual(store);
            expect(routing.provider).toBeUndefined();
            expect(providers).toEqual([]);
        }
    });

    it("gives an Output that turns out to hold no kubeconfig a provider with nothing in it, and the input unchanged", async () => {
        const store = pulumi.output({ kind: "file" as const, directory: "state" });
        const { resolved, providers } = await routed("later", store);
        expect(resolved).toEqual({ kind: "file", directory: "state" });
        expect(providers.map((p) => [p.name, p.inputs])).toEqual([["later-store", {}]]);
    });

    it("moves a kubeconfig that does not load too, naming no server: opening the store reports it", async () => {
        const store = pulumi.secret({ kind: "kubernetes" as const, namespace: "ipam", kubeconfig: KUBECONFIG, context: "missing" });
        const { routing, resolved, providers } = await routed("broken", store);
        expect(resolved).toEqual({ kind: "kubernetes", namespace: "ipam", context: "missing", kubeconfigFrom: "provider" });
        expect(await isSecret(pulumi.output(routing.store!))).toBe(false);
        expect(providers.map((p) => p.inputs)).toEqual([{ "kubeslice-ipam:kubeconfig": secretOf(KUBECONFIG) }]);
    });

    it("keeps a store input whose shape cannot be known yet secret in the outputs of resources given it directly", () => {
        const store = pulumi.secret({ kind: "kubernetes" as const, namespace: "ipam", kubeconfig: KUBECONFIG });
        expect(withSecretStore(store, {})).toEqual({ additionalSecretOutputs: ["store"] });
    });

    it("changes nothing for the native provider's children, which have no such provider", async () => {
        const store = { kind: "kubernetes" as const, namespace: "ipam", kubeconfig: KUBECONFIG };
        const { routing, resolved, providers } = await routed("native", store, NATIVE_CHILDREN);
        expect(resolved).toEqual(store);
        expect(routing.provider).toBeUndefined();
        expect(providers).toEqual([]);
    });
});
