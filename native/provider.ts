import type * as provider from "@pulumi/pulumi/provider";
import * as handlers from "../provider/handlers";
import { packageSchema } from "./schema";
import { quoted } from "../provider/core/issues";
import { KubesliceIpamError } from "../provider/core/kubeslice-ipam-error";
import { pulumiActorOfUrn, withHistoryActor } from "../provider/store/history-context";
import * as pulumi from "@pulumi/pulumi";
import { constructKubeSliceIpam } from "./component";
import { deploymentEnding } from "./in-flight-constructs";
import { KUBESLICE_IPAM_TOKEN, MANIFEST_FILE_TOKEN, SLICE_IPAM_TOKEN, SUBNET_ALLOCATION_TOKEN, typeOfUrn } from "./type-token";
import { unwrapSecrets, withSecretProperties } from "./wire";

type Props = Record<string, unknown>;
type Handlers = typeof handlers.sliceIpam | typeof handlers.subnetAllocation | typeof handlers.manifestFile;

/** What the engine sends for each resource type, served by the dynamic provider's handlers. */
const HANDLERS: Record<string, Handlers> = {
    [SLICE_IPAM_TOKEN]: handlers.sliceIpam,
    [SUBNET_ALLOCATION_TOKEN]: handlers.subnetAllocation,
    [MANIFEST_FILE_TOKEN]: handlers.manifestFile,
};

function handlersFor(urn: string): Handlers {
    const type = typeOfUrn(urn);
    const found = HANDLERS[type];
    if (found === undefined) {
        throw new KubesliceIpamError(
            "unknown-type",
            `kubeslice-ipam has no resource type "${type}"; it provides ${Object.keys(HANDLERS).join(", ")}`,
        );
    }
    return found;
}

/** Runs a write with its history events naming the stack and project the resource's URN names. */
function asStackOf<T>(urn: string, body: () => Promise<T>): Promise<T> {
    return withHistoryActor(pulumiActorOfUrn(urn), body);
}

/**
 * The store is the one property that may carry credentials (a kubeconfig):
 * kept secret in outputs whenever it came in secret or is not a plain file
 * store, as the dynamic resources do with additionalSecretOutputs.
 */
function secretOutputs(outs: Props | undefined, storeWasSecret: boolean): Props | undefined {
    if (outs === undefined) return undefined;
    const store = outs.store as { kind?: string } | undefined;
    const plainFileStore = store === undefined || (store.kind === "file" && !storeWasSecret);
    return plainFileStore ? outs : withSecretProperties(outs, ["store"]);
}

const INPUT_NAMES: Record<string, readonly string[]> = {
    [SLICE_IPAM_TOKEN]: ["sliceName", "sliceSubnet", "subnetSize", "gracePeriodSeconds", "maxClusters", "store"],
    [SUBNET_ALLOCATION_TOKEN]: ["sliceName", "clusterName", "store"],
    [MANIFEST_FILE_TOKEN]: ["path", "content", "allowOutsideProject"],
};

/** The inputs `pulumi import` writes into the program it generates: what the resource was declared with. */
function inputsOf(urn: string, props: Props): Props {
    const names = INPUT_NAMES[typeOfUrn(urn)] ?? [];
    return Object.fromEntries(names.filter((name) => props[name] !== undefined).map((name) => [name, props[name]]));
}

/**
 * A native Pulumi provider over the same handlers as the dynamic provider:
 * one adapter per call, no rule of its own. Secrets are unwrapped on the way
 * in and the store re-marked on the way out; `read` without properties is
 * an import, answered from the id.
 */
export class KubesliceIpamProvider implements provider.Provider {
    /** Resources this process has read: a check after a read may be an import's, whose failures are only warnings. */
    private readonly readUrns = new Set<string>();

    constructor(readonly version: string) {}

    async getSchema(): Promise<string> {
        return JSON.stringify(packageSchema(this.version));
    }

    async check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult> {
        const result = await handlersFor(urn).check(unwrapSecrets(olds).value, unwrapSecrets(news).value);
        const newsWereSecret = unwrapSecrets(news?.store).hadSecret;
        const failures = result.failures ?? [];
        if (failures.length > 0 && !this.readUrns.has(urn)) {
            // The engine ends the deployment on these failures and closes this plugin's connection
            // at once: constructs still waiting for their children are answered first, so that none
            // of them is reported as a second error (in-flight-constructs.ts).
            await deploymentEnding();
        }
        return { inputs: secretOutputs(result.inputs, newsWereSecret), failures };
    }

    async diff(id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
        const result = await handlersFor(urn).diff(id, unwrapSecrets(olds).value, unwrapSecrets(news).value);
        return {
            changes: result.changes,
            replaces: result.replaces,
            stables: result.stables,
            deleteBeforeReplace: result.deleteBeforeReplace,
        };
    }

    async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
        const plain = unwrapSecrets(inputs);
        const result = await asStackOf(urn, () => handlersFor(urn).create(plain.value));
        return { id: result.id, outs: secretOutputs(result.outs, plain.hadSecret) };
    }

    async read(id: string, urn: string, props?: Props): Promise<provider.ReadResult> {
        this.readUrns.add(urn);
        const plain = unwrapSecrets(props ?? {});
        const imported = parseImportId(urn, id);
        const known = { ...imported.props, ...plain.value };
        const result = await asStackOf(urn, () => handlersFor(urn).read(imported.id, known));
        if (result.props === undefined) {
            return { id: "", props: {} }; // gone from the store: the engine drops it from the stack
        }
        const outs = secretOutputs(result.props, plain.hadSecret)!;
        return { id: result.id ?? imported.id, props: outs, inputs: inputsOf(urn, outs) };
    }

    async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
        const plain = unwrapSecrets(news);
        const result = await asStackOf(urn, () => handlersFor(urn).update(id, unwrapSecrets(olds).value, plain.value));
        return { outs: secretOutputs(result.outs, plain.hadSecret) };
    }

    async delete(id: string, urn: string, props: Props): Promise<void> {
        await asStackOf(urn, () => handlersFor(urn).remove(id, unwrapSecrets(props).value));
    }

    async construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
        if (type !== KUBESLICE_IPAM_TOKEN) {
            throw new KubesliceIpamError("unknown-type", `kubeslice-ipam has no component type "${type}"; its component is ${KUBESLICE_IPAM_TOKEN}`);
        }
        return constructKubeSliceIpam(name, inputs, options);
    }
}

/**
 * What an id alone says: an import knows nothing else. The id is the
 * resource's own (`<slice>` or `<slice>/<cluster>`: the default file store),
 * optionally followed by the store to read, for `pulumi import` from another
 * store: `@file:<directory>` or `@kubernetes:<namespace>` (credentials as
 * kubectl finds them: KUBECONFIG or ~/.kube/config).
 */
export function parseImportId(urn: string, id: string): { id: string; props: Props } {
    if (typeOfUrn(urn) === MANIFEST_FILE_TOKEN) return { id, props: {} }; // its id is its path, which may hold an "@"
    const at = id.indexOf("@");
    const own = at === -1 ? id : id.slice(0, at);
    const props: Props = {};
    if (typeOfUrn(urn) === SLICE_IPAM_TOKEN) {
        props.sliceName = own;
    } else {
        const [sliceName, clusterName, ...rest] = own.split("/");
        if (clusterName === undefined || rest.length > 0) {
            throw new KubesliceIpamError(
                "import-id-invalid",
                `import id ${quoted(id)}: a SubnetAllocation's id is <slice>/<cluster> (e.g. "blue/worker-1"), optionally ` +
                    `followed by @file:<directory> or @kubernetes:<namespace>; use that form and run again`,
            );
        }
        Object.assign(props, { sliceName, clusterName });
    }
    if (at !== -1) {
        const where = id.slice(at + 1);
        const colon = where.indexOf(":");
        const kind = colon === -1 ? where : where.slice(0, colon);
        const location = colon === -1 ? "" : where.slice(colon + 1);
        if (kind === "file") props.store = { kind: "file", directory: location };
        else if (kind === "kubernetes") props.store = { kind: "kubernetes", namespace: location };
        else
            throw new KubesliceIpamError(
                "import-id-invalid",
                `import id ${quoted(id)}: the store after "@" must be file:<directory> or kubernetes:<namespace>`,
            );
    }
    return { id: own, props };
}
