import * as path from "node:path";
import { z } from "zod";
import { FileLedgerStore } from "./file-store";
import { LedgerStore } from "./ledger-store";

/** Where the file store keeps ledgers when no store is given: beside the Pulumi project. */
export const DEFAULT_STORE_DIRECTORY = ".slice-ipam";

export const fileStoreSpecSchema = z
    .object({
        kind: z.literal("file"),
        directory: z
            .string({ error: "store.directory must be a path string" })
            .min(1, { error: "store.directory must not be empty; omit store to use .slice-ipam/" }),
    })
    .strict();

/** The `store` input of every resource. Omitted means the default file store. */
export const storeSpecSchema = z.discriminatedUnion("kind", [fileStoreSpecSchema], {
    error: 'store.kind must be "file" (the Kubernetes store is not available yet)',
});

export type StoreSpec = z.infer<typeof storeSpecSchema>;

/**
 * Builds the store a spec names. Called inside each provider call, never
 * held: relative directories resolve against the working directory, which is
 * the Pulumi project's directory when the engine runs the provider.
 */
export function openStore(spec: StoreSpec | undefined): LedgerStore {
    const directory = spec?.directory ?? DEFAULT_STORE_DIRECTORY;
    return new FileLedgerStore(path.resolve(directory));
}
