import * as path from "node:path";
import { z } from "zod";
import { dnsLabelMessage, isDnsLabel } from "../core/validation";
import { FileLedgerStore } from "./file-store";
import { KubernetesLedgerStore } from "./kubernetes-store";
import { LedgerStore } from "./ledger-store";
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

/** The `store` input of every resource. Omitted means the default file store. */
export const storeSpecSchema = z.discriminatedUnion("kind", [fileStoreSpecSchema, kubernetesStoreSpecSchema], {
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
        return new KubernetesLedgerStore(spec);
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
