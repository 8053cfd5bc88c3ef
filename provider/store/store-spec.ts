import * as path from "node:path";
import { z } from "zod";
import { dnsLabelMessage, isDnsLabel } from "../core/validation";
import { FileLedgerStore } from "./file-store";
import { KubernetesLedgerStore } from "./kubernetes-store";
import { LedgerStore } from "./ledger-store";
import { providerKubeconfig } from "./provider-kubeconfig";
import { UsageSource } from "./worker-slice-usage";

/** Where the file store keeps ledgers when no store is given: beside the Pulumi project. */
export const DEFAULT_STORE_DIRECTORY = ".slice-ipam";

export const fileStoreSpecSchema = z
    .object({
        kind: z.literal("file"),
        directory: z
            .string({ error: "store.directory must be a path string" })
            .min(1, { error: "store.directory must not be empty; omit store to use .slice-ipam/" })
            .refine((directory) => !directory.includes("\u0000"), { error: "store.directory must not contain a NUL character" }),
    })
    .strict();

export const kubernetesStoreSpecSchema = z
    .object({
        kind: z.literal("kubernetes"),
        namespace: z.string({ error: "store.namespace must be the namespace of the SliceIpam objects" }).refine(isDnsLabel, {
            error: (issue) => dnsLabelMessage("store.namespace", issue.input),
        }),
        /** Kubeconfig contents. Pass a Pulumi secret: it is stored encrypted in state. */
        kubeconfig: z.string({ error: "store.kubeconfig must be the kubeconfig file's contents" }).min(1).optional(),
        context: z.string({ error: "store.context must be a kubeconfig context name" }).min(1).optional(),
    })
    .strict();

/**
 * The Kubernetes store as KubeSliceIpam hands it to its children: the
 * kubeconfig sits once in their provider's configuration
 * (`provider-kubeconfig.ts`), not in every resource's inputs and outputs,
 * which the engine rewrites after each step. `server` is where that
 * kubeconfig reached when the input was made, so that pointing it at another
 * API server still changes each input, and each update checks that the
 * allocation is in the new store, as a store change always has.
 */
const kubernetesStoreInputSchema = kubernetesStoreSpecSchema
    .extend({
        kubeconfigFrom: z.literal("provider", { error: 'store.kubeconfigFrom must be "provider" or omitted' }).optional(),
        server: z.string({ error: "store.server must be the URL of the API server the provider's kubeconfig reaches" }).min(1).optional(),
    })
    .strict()
    .superRefine((spec, context) => {
        if (spec.kubeconfigFrom !== undefined && spec.kubeconfig !== undefined) {
            context.addIssue({
                code: "custom",
                path: ["kubeconfigFrom"],
                message: 'store.kubeconfigFrom "provider" takes the kubeconfig from the provider\'s configuration: omit store.kubeconfig',
            });
        }
        if (spec.server !== undefined && spec.kubeconfigFrom === undefined) {
            context.addIssue({ code: "custom", path: ["server"], message: 'store.server is set only with store.kubeconfigFrom "provider"; omit it' });
        }
    });

/** The `store` input of every resource. Omitted means the default file store. */
export const storeSpecSchema = z.discriminatedUnion("kind", [fileStoreSpecSchema, kubernetesStoreInputSchema], {
    error: 'store.kind must be "file" or "kubernetes"',
});

export type StoreSpec = z.infer<typeof storeSpecSchema>;
export type FileStoreSpec = z.infer<typeof fileStoreSpecSchema>;
export type KubernetesStoreSpec = z.infer<typeof kubernetesStoreSpecSchema>;

/**
 * Builds the store a spec names. Called inside each provider call, never
 * held: relative directories resolve against the working directory, which is
 * the Pulumi project's directory when the engine runs the provider.
 */
export function openStore(spec: StoreSpec | undefined): LedgerStore {
    if (spec?.kind === "kubernetes") {
        const { kubeconfigFrom, server: _server, ...options } = spec;
        return new KubernetesLedgerStore(kubeconfigFrom === "provider" ? { ...options, ...providerKubeconfig() } : options);
    }
    return new FileLedgerStore(path.resolve(spec?.directory ?? DEFAULT_STORE_DIRECTORY));
}

/**
 * Where a store's clusters report their usage: the Kubernetes store reaches
 * the controller cluster and its WorkerSliceConfigs; the file store, with
 * rendered manifests only, observes none (undefined).
 */
export function usageSourceOf(store: LedgerStore): UsageSource | undefined {
    return store instanceof KubernetesLedgerStore ? store.usageSource() : undefined;
}
