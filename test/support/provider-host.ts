/**
 * Drives a dynamic provider through Pulumi's real dynamic-provider host
 * (`@pulumi/pulumi/cmd/dynamic-provider`) the way the engine does: a child
 * process that prints its gRPC port, a `pulumirpc.Engine` server for it to
 * call back, and protobuf requests whose `__provider` property carries the
 * provider serialized exactly as `pulumi.dynamic.Resource` serializes it.
 * Calling provider methods directly would skip all of that: the closure
 * serialization, the host's `require-from-string`, its working directory, and
 * the Struct round trip.
 *
 * Everything Pulumi-related is loaded with a Node `require` rooted at the
 * repository (never through vitest's transform), so the functions serialized
 * are the compiled ones the host will run and the proto classes are the ones
 * the host's own gRPC stack uses. No vitest import: the benchmarks reuse this.
 */
import { ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type * as GrpcModule from "@grpc/grpc-js";
import type * as pulumi from "@pulumi/pulumi";
import type * as EngineGrpcModule from "@pulumi/pulumi/proto/engine_grpc_pb";
import type * as EnginePbModule from "@pulumi/pulumi/proto/engine_pb";
import type * as ProviderGrpcModule from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as ProviderPbModule from "@pulumi/pulumi/proto/provider_pb";
import type * as EmptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as StructPbModule from "google-protobuf/google/protobuf/struct_pb";

export type Props = Record<string, unknown>;

/** The repository root: the nearest ancestor holding @pulumi/pulumi (works from test/ and from dist/). */
export function findRepoRoot(from: string = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "node_modules/@pulumi/pulumi"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no repository with node_modules/@pulumi/pulumi above ${from}`);
        }
    }
}

interface Modules {
    grpc: typeof GrpcModule;
    engineGrpc: typeof EngineGrpcModule;
    enginePb: typeof EnginePbModule;
    providerGrpc: typeof ProviderGrpcModule;
    providerPb: typeof ProviderPbModule;
    struct: typeof StructPbModule;
    Empty: typeof EmptyPb.Empty;
    serializeClosure: { serializeFunction(f: (...args: never[]) => unknown, args?: { allowSecrets?: boolean }): Promise<{ text: string }> };
}

function loadModules(repo: string): Modules {
    // Resolve from @pulumi/pulumi itself so grpc-js and google-protobuf are the host's copies.
    const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json", { paths: [repo] }));
    return {
        grpc: pulumiRequire("@grpc/grpc-js"),
        engineGrpc: pulumiRequire("./proto/engine_grpc_pb"),
        enginePb: pulumiRequire("./proto/engine_pb"),
        providerGrpc: pulumiRequire("./proto/provider_grpc_pb"),
        providerPb: pulumiRequire("./proto/provider_pb"),
        struct: pulumiRequire("google-protobuf/google/protobuf/struct_pb"),
        Empty: pulumiRequire("google-protobuf/google/protobuf/empty_pb").Empty,
        serializeClosure: pulumiRequire("./runtime/closure/serializeClosure"),
    };
}

/** The built package (`dist/index.js`), loaded natively: serialized providers must capture compiled JS. */
export function loadBuiltProviders(repo: string = findRepoRoot()): typeof import("../../index") {
    return createRequire(path.join(repo, "package.json"))(path.join(repo, "dist"));
}

/**
 * The `__provider` text, as `pulumi.dynamic.Resource` makes it
 * (dynamic/index.js `serializeFunctionMaybeSecret`): the provider is captured
 * by an arrow function and serialized with `allowSecrets: true`; the host
 * calls the module's `handler()` to get it back.
 */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider, repo: string = findRepoRoot()): Promise<string> {
    const { serializeClosure } = loadModules(repo);
    const serialized = await serializeClosure.serializeFunction(() => provider, { allowSecrets: true });
    return serialized.text;
}

/** A `pulumirpc.Engine.Log` call the host made (only when `pulumi.log` can find the engine; see `routeLogsToEngine`). */
export interface EngineLog {
    readonly severity: "debug" | "info" | "warning" | "error";
    readonly message: string;
    readonly urn: string;
}

/** A line the host wrote after its port. The engine shows stdout lines as info and stderr lines as info-err. */
export interface HostOutputLine {
    readonly stream: "stdout" | "stderr";
    readonly line: string;
}

export interface CheckFailure {
    readonly property: string;
    readonly reason: string;
}

export interface DiffOutcome {
    readonly changes: "unknown" | "none" | "some";
    readonly replaces: string[];
    readonly deleteBeforeReplace: boolean;
}

/** A gRPC failure of a provider call; `message` is the provider's own error message. */
export class ProviderCallError extends Error {
    constructor(
        readonly method: string,
        readonly code: number,
        message: string,
    ) {
        super(message);
        this.name = "ProviderCallError";
    }
}

/**
 * One resource type's provider, bound to a running host. Property bags go in
 * and come out without `__provider`: it is added to every request and
 * stripped from every response, as the engine keeps it in state.
 */
export interface HostedProvider {
    /** The serialized provider sent as `__provider`. */
    readonly serialized: string;
    check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }>;
    /** `olds` are the prior outputs (state), `news` the checked new inputs, as the engine sends them. */
    diff(id: string, olds: Props, news: Props, oldInputs?: Props): Promise<DiffOutcome>;
    create(props: Props): Promise<{ id: string; properties: Props }>;
    /** `id` is "" when the provider reports the resource gone. */
    read(id: string, props: Props, inputs?: Props): Promise<{ id: string; properties: Props; inputs?: Props }>;
    update(id: string, olds: Props, news: Props, oldInputs?: Props): Promise<{ properties: Props }>;
    delete(id: string, props: Props, oldInputs?: Props): Promise<void>;
}

export interface ProviderHost {
    readonly port: number;
    readonly engineAddress: string;
    /** Engine Log RPCs received, in order. */
    readonly logs: EngineLog[];
    /** Host stdout/stderr after the port line (uncaught errors, `console.*`, `pulumi.log` without an engine). */
    readonly output: HostOutputLine[];
    /** Binds a provider object (serialized here) or already serialized text to this host. */
    provider(provider: pulumi.dynamic.ResourceProvider | string, type?: string): Promise<HostedProvider>;
    /** Stops the host process, the client channel and the engine server. */
    close(): Promise<void>;
}

export interface ProviderHostOptions {
    /** The host's working directory; the engine uses the Pulumi project directory. */
    readonly cwd: string;
    readonly repo?: string;
    /**
     * Also set PULUMI_NODEJS_ENGINE for the host. The CLI passes the engine
     * address only as argv, which the host ignores, so in a real deployment
     * `pulumi.log` inside a dynamic provider falls back to console output
     * (captured in `output`). Set this to receive those logs as Log RPCs.
     */
    readonly routeLogsToEngine?: boolean;
    /** Deadline of each provider call. */
    readonly callTimeoutMs?: number;
    /** Passed to the host on top of this process's environment. */
    readonly env?: NodeJS.ProcessEnv;
    /** The provider's configuration, as the engine sends an explicit provider's inputs (or the stack's config) in Configure. */
    readonly config?: Record<string, string>;
}

const PROVIDER_KEY = "__provider";
const STARTUP_TIMEOUT_MS = 20_000;

/** Starts the engine server and the dynamic-provider host, then configures it like the engine does. */
export async function startProviderHost(options: ProviderHostOptions): Promise<ProviderHost> {
    const repo = options.repo ?? findRepoRoot();
    const m = loadModules(repo);
    const { grpc } = m;
    const callTimeoutMs = options.callTimeoutMs ?? 30_000;

    const logs: EngineLog[] = [];
    const output: HostOutputLine[] = [];
    const severities: Record<number, EngineLog["severity"]> = {
        [m.enginePb.LogSeverity.DEBUG]: "debug",
        [m.enginePb.LogSeverity.INFO]: "info",
        [m.enginePb.LogSeverity.WARNING]: "warning",
        [m.enginePb.LogSeverity.ERROR]: "error",
    };

    // The engine side: what a provider (through @pulumi/pulumi's runtime) may call back.
    let rootUrn = "";
    const engine = new grpc.Server();
    const engineService: Partial<EngineGrpcModule.IEngineServer> = {
        log: (call, callback) => {
            const req = call.request;
            const severity = severities[req.getSeverity()] ?? "info";
            logs.push({ severity, message: req.getMessage(), urn: req.getUrn() });
            callback(null, new m.Empty());
        },
        getRootResource: (_call, callback) => callback(null, new m.enginePb.GetRootResourceResponse().setUrn(rootUrn)),
        setRootResource: (call, callback) => {
            rootUrn = call.request.getUrn();
            callback(null, new m.enginePb.SetRootResourceResponse());
        },
    };
    engine.addService(m.engineGrpc.EngineService, engineService as GrpcModule.UntypedServiceImplementation);
    const enginePort = await new Promise<number>((resolve, reject) =>
        engine.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    const engineAddress = `127.0.0.1:${enginePort}`;

    // The host, launched as the CLI launches pulumi-resource-pulumi-nodejs: `node <script> <engine address>`.
    const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js", { paths: [repo] });
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    delete env.PULUMI_NODEJS_ENGINE;
    if (options.routeLogsToEngine) {
        env.PULUMI_NODEJS_ENGINE = engineAddress;
    }
    const child = spawn(process.execPath, [script, engineAddress], {
        cwd: options.cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    // "close", not "exit": it also waits for the stdio pipes, which would otherwise stay open handles.
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));

    let port: number;
    try {
        port = await readPort(child, output);
    } catch (error) {
        child.kill("SIGKILL");
        if (child.pid !== undefined) {
            await exited; // a process that never spawned emits no "close"
        }
        engine.forceShutdown();
        throw error;
    }

    const client = new m.providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

    /** One unary call with a deadline; errors carry the provider's message (grpc `details`). */
    function call<Res>(method: string, request: unknown): Promise<Res> {
        const options = { deadline: Date.now() + callTimeoutMs };
        return new Promise((resolve, reject) => {
            const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
            fn.call(client, request, new grpc.Metadata(), options, (err: GrpcModule.ServiceError | null, res: Res) =>
                err ? reject(new ProviderCallError(method, err.code, err.details || err.message)) : resolve(res),
            );
        });
    }

    // The engine's first calls to any provider plugin.
    await call("getPluginInfo", new m.Empty());
    const configure = new m.providerPb.ConfigureRequest().setArgs(m.struct.Struct.fromJavaScript(options.config ?? {}));
    await call("configure", configure.setAcceptsecrets(true).setAcceptresources(true));

    const fromStruct = (struct: StructPbModule.Struct | undefined): Props => {
        const { [PROVIDER_KEY]: _provider, ...rest } = (struct?.toJavaScript() ?? {}) as Props;
        return rest;
    };
    const diffChanges: Record<number, DiffOutcome["changes"]> = {
        [m.providerPb.DiffResponse.DiffChanges.DIFF_NONE]: "none",
        [m.providerPb.DiffResponse.DiffChanges.DIFF_SOME]: "some",
    };

    async function bind(provider: pulumi.dynamic.ResourceProvider | string, type = "Resource"): Promise<HostedProvider> {
        const serialized = typeof provider === "string" ? provider : await serializeProvider(provider, repo);
        const token = `pulumi-nodejs:dynamic/kubeslice-ipam:${type}`;
        /** Every request names its resource, as the engine's do. */
        const named = <T extends { setUrn(v: string): T; setName(v: string): T; setType(v: string): T }>(req: T): T =>
            req.setUrn(`urn:pulumi:test::kubeslice-ipam::${token}::test`).setName("test").setType(token);
        /** A property bag as the engine sends it: with `__provider`, without undefined values. */
        const struct = (props: Props) =>
            m.struct.Struct.fromJavaScript({
                ...(withoutUndefined(props) as Record<string, StructPbModule.JavaScriptValue>),
                [PROVIDER_KEY]: serialized,
            });
        const pb = m.providerPb;
        return {
            serialized,
            async check(olds, news) {
                const req = named(new pb.CheckRequest()).setOlds(struct(olds)).setNews(struct(news));
                const res = await call<ProviderPbModule.CheckResponse>("check", req);
                return {
                    inputs: fromStruct(res.getInputs()),
                    failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
                };
            },
            async diff(id, olds, news, oldInputs) {
                const req = named(new pb.DiffRequest()).setId(id).setOlds(struct(olds)).setNews(struct(news));
                if (oldInputs) req.setOldInputs(struct(oldInputs));
                const res = await call<ProviderPbModule.DiffResponse>("diff", req);
                return {
                    changes: diffChanges[res.getChanges()] ?? "unknown",
                    replaces: res.getReplacesList(),
                    deleteBeforeReplace: res.getDeletebeforereplace(),
                };
            },
            async create(props) {
                const req = named(new pb.CreateRequest()).setProperties(struct(props));
                const res = await call<ProviderPbModule.CreateResponse>("create", req);
                return { id: res.getId(), properties: fromStruct(res.getProperties()) };
            },
            async read(id, props, inputs) {
                const req = named(new pb.ReadRequest()).setId(id).setProperties(struct(props));
                if (inputs) req.setInputs(struct(inputs));
                const res = await call<ProviderPbModule.ReadResponse>("read", req);
                return {
                    id: res.getId(),
                    properties: fromStruct(res.getProperties()),
                    ...(res.hasInputs() ? { inputs: fromStruct(res.getInputs()) } : {}),
                };
            },
            async update(id, olds, news, oldInputs) {
                const req = named(new pb.UpdateRequest()).setId(id).setOlds(struct(olds)).setNews(struct(news));
                if (oldInputs) req.setOldInputs(struct(oldInputs));
                const res = await call<ProviderPbModule.UpdateResponse>("update", req);
                return { properties: fromStruct(res.getProperties()) };
            },
            async delete(id, props, oldInputs) {
                const req = named(new pb.DeleteRequest()).setId(id).setProperties(struct(props));
                if (oldInputs) req.setOldInputs(struct(oldInputs));
                await call("delete", req);
            },
        };
    }

    let closed: Promise<void> | undefined;
    return {
        port,
        engineAddress,
        logs,
        output,
        provider: bind,
        close: () =>
            (closed ??= (async () => {
                client.close();
                if (child.exitCode === null && child.signalCode === null) {
                    child.kill("SIGTERM");
                }
                await exited;
                await new Promise<void>((resolve) => engine.tryShutdown(() => resolve()));
            })()),
    };
}

/** Reads the port line, then keeps collecting the host's output lines (as the engine's tracer does). */
function readPort(child: ChildProcess, output: HostOutputLine[]): Promise<number> {
    const stderr = createInterface({ input: child.stderr! });
    stderr.on("line", (line) => output.push({ stream: "stderr", line }));
    const stdout = createInterface({ input: child.stdout! });
    return new Promise<number>((resolve, reject) => {
        let port: number | undefined;
        const fail = (why: string) => {
            clearTimeout(timer);
            const said = output.map((o) => o.line).join("\n");
            reject(new Error(`dynamic-provider host ${why}${said ? `:\n${said}` : ""}`));
        };
        const timer = setTimeout(() => fail(`printed no port within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
        stdout.on("line", (line) => {
            if (port !== undefined) {
                output.push({ stream: "stdout", line });
                return;
            }
            const parsed = Number(line.trim());
            if (!Number.isInteger(parsed) || parsed <= 0) {
                return fail(`wrote ${JSON.stringify(line)} instead of a port`);
            }
            port = parsed;
            clearTimeout(timer);
            resolve(parsed);
        });
        child.once("exit", (code, signal) => port === undefined && fail(`exited (${code ?? signal}) before its port`));
        child.once("error", (error) => port === undefined && fail(`could not start (${error.message})`));
    });
}

/** Struct.fromJavaScript rejects `undefined`; the engine never sends it (absent properties are omitted). */
function withoutUndefined(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutUndefined);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, withoutUndefined(v)]),
        );
    }
    return value;
}

/** A host in a fresh project directory, bound to both providers of the built package. */
export interface HostedIpam {
    readonly workdir: string;
    readonly host: ProviderHost;
    readonly slices: HostedProvider;
    readonly allocations: HostedProvider;
    close(): Promise<void>;
}

export async function startHostedIpam(options: Pick<ProviderHostOptions, "routeLogsToEngine" | "config"> = {}): Promise<HostedIpam> {
    const repo = findRepoRoot(__dirname);
    const workdir = mkdtempSync(path.join(tmpdir(), "kubeslice-ipam-host-"));
    const host = await startProviderHost({ cwd: workdir, repo, routeLogsToEngine: options.routeLogsToEngine, config: options.config });
    const built = loadBuiltProviders(repo);
    return {
        workdir,
        host,
        slices: await host.provider(built.sliceIpamProvider, "SliceIpam"),
        allocations: await host.provider(built.subnetAllocationProvider, "SubnetAllocation"),
        close: async () => {
            await host.close();
            rmSync(workdir, { recursive: true, force: true });
        },
    };
}
