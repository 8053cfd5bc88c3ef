import { promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { checkKubeconfig } from "../provider/store/kubeconfig";
import { LedgerStore } from "../provider/store/ledger-store";
import { DEFAULT_STORE_DIRECTORY, openStore, StoreSpec, storeSpecSchema } from "../provider/store/store-spec";
import { CliError } from "./errors";

/**
 * How the command line names a store. This file is the one place to touch
 * when a store kind is added to `storeSpecSchema`: its options below, its
 * case in `rawStoreSpec`, and its case in `probeStore` (the compiler points
 * at that switch). The spec is then checked by the resources' own schema and
 * opened by the resources' own `openStore`, so the CLI reads exactly the
 * store a `store` input names.
 */
export interface StoreOptions {
    readonly store: string;
    readonly storeDir: string;
    readonly namespace?: string;
    readonly kubeconfig?: string;
    readonly context?: string;
}

export function addStoreOptions(command: Command): Command {
    return command
        .addOption(new Option("--store <kind>", "store kind, as the resources' store.kind").default("file"))
        .addOption(
            new Option(
                "--store-dir <dir>",
                "file store directory, as store.directory; relative to the current directory (run from the Pulumi project)",
            ).default(DEFAULT_STORE_DIRECTORY),
        )
        .addOption(new Option("--namespace <ns>", "Kubernetes store: namespace of the SliceIpam objects, as store.namespace"))
        .addOption(new Option("--kubeconfig <file>", "Kubernetes store: kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)"))
        .addOption(new Option("--context <name>", "Kubernetes store: kubeconfig context, as store.context"));
}

/** The `store` input these options describe, checked by the resources' schema. */
export function storeSpecFromOptions(options: StoreOptions): StoreSpec {
    const parsed = storeSpecSchema.safeParse(rawStoreSpec(options));
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => issue.message).join("; ");
        throw new CliError("usage", `invalid store options (--store ${options.store}): ${problems}; run slice-ipam --help for the store options`);
    }
    return parsed.data;
}

function rawStoreSpec(options: StoreOptions): unknown {
    switch (options.store) {
        case "file":
            return { kind: "file", directory: options.storeDir };
        case "kubernetes":
            return {
                kind: "kubernetes",
                namespace: options.namespace,
                ...(options.kubeconfig === undefined ? {} : { kubeconfig: readKubeconfig(options.kubeconfig, options.context) }),
                ...(options.context === undefined ? {} : { context: options.context }),
            };
        default:
            return { kind: options.store };
    }
}

/**
 * Opens the store, refusing one that does not exist: a read-only tool
 * pointed at the wrong place should say so, not report an empty store.
 */
export async function openExistingStore(spec: StoreSpec): Promise<LedgerStore> {
    await probeStore(spec);
    return openStore(spec);
}

async function probeStore(spec: StoreSpec): Promise<void> {
    switch (spec.kind) {
        case "file":
            return probeDirectory(path.resolve(spec.directory));
        case "kubernetes":
            // Reachability and permissions surface from the first request, with the API server's message.
            return probeKubernetes(openStore(spec));
        default:
            return assertNever(spec);
    }
}

/** The file's contents, checked here so that an error names the file (never quoting it: it holds credentials). */
function readKubeconfig(file: string, context: string | undefined): string {
    let contents: string;
    try {
        contents = readFileSync(file, "utf8");
    } catch (error) {
        throw new CliError(
            "store-not-found",
            `cannot read kubeconfig ${file}: ${(error as Error).message}; pass an existing kubeconfig file to --kubeconfig`,
        );
    }
    checkKubeconfig(contents, `kubeconfig file ${file}`, context);
    return contents;
}

async function probeDirectory(directory: string): Promise<void> {
    let isDirectory: boolean;
    try {
        isDirectory = (await fs.stat(directory)).isDirectory();
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
            throw new CliError("store-unreadable", `cannot read file store ${directory}: ${(error as Error).message}`);
        }
        throw new CliError(
            "store-not-found",
            `file store ${directory} does not exist. Run slice-ipam in the Pulumi project directory, or pass ` +
                `--store-dir with the directory of the resources' store input (default ${DEFAULT_STORE_DIRECTORY}).`,
        );
    }
    if (!isDirectory) {
        throw new CliError(
            "store-not-found",
            `file store ${directory} is not a directory; pass --store-dir with the directory of the resources' store input.`,
        );
    }
}

/** A cluster without the SliceIpam CRD answers 404, which would otherwise surface as a bare API error. */
async function probeKubernetes(store: LedgerStore): Promise<void> {
    try {
        await store.listEach(); // a corrupt slice is that slice's problem, reported by the command that reads it
    } catch (error) {
        if ((error as { code?: unknown }).code === "resource-type-not-served") {
            throw new CliError(
                "store-not-found",
                `${store.description} has no SliceIpam resource type (sliceipams.controller.kubeslice.io): install ` +
                    `deploy/kubernetes/sliceipam-crd.yaml there, or pass --kubeconfig/--context for the cluster that holds the slices.`,
            );
        }
        throw error;
    }
}

function assertNever(spec: never): never {
    throw new Error(`no command-line support for store ${JSON.stringify(spec)}`);
}
