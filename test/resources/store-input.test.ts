import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { withSecretStore } from "../../resources/store-input";

describe("store inputs that may carry credentials", () => {
    it("are secret outputs when they name the Kubernetes store or are not known yet", () => {
        const kubernetes = { kind: "kubernetes" as const, namespace: "kubeslice-cisco", kubeconfig: "apiVersion: v1" };
        expect(withSecretStore(kubernetes, undefined)?.additionalSecretOutputs).toEqual(["store"]);
        expect(withSecretStore(pulumi.secret(kubernetes), { protect: true })).toEqual({ protect: true, additionalSecretOutputs: ["store"] });
        expect(withSecretStore(kubernetes, { additionalSecretOutputs: ["subnet"] })?.additionalSecretOutputs).toEqual(["subnet", "store"]);
    });

    it("stay readable for the file store", () => {
        expect(withSecretStore({ kind: "file", directory: ".slice-ipam" }, undefined)).toBeUndefined();
        expect(withSecretStore(undefined, { protect: true })).toEqual({ protect: true });
    });
});
