/**
 * Constructs still running when the engine is about to end the deployment.
 *
 * A `construct` of the component lasts as long as its children take to
 * register (check, diff, and in an `up` their creation): the SDK's provider
 * server answers only when every child's registration has come back. When
 * the engine meets a check failure meanwhile (a child's, or any other
 * resource's), it ends the deployment and closes its connection to this
 * plugin (pkg/engine/update.go: `defer contract.IgnoreClose(deployment)` →
 * `Plugctx.Close`) without waiting for the construct. Its pending Construct
 * call then fails on the engine's side with gRPC's own `Canceled: grpc: the
 * client connection is closing`, and the goroutine that issued it reports
 * every Construct error as a problem of the component
 * (pkg/resource/deploy/source_eval.go, `ResourceMonitor.RegisterResource`:
 * `rm.diagnostics.Errorf(diag.GetResourceInvalidError(...))`): a second
 * error, on a component that may be valid, for a failure already reported.
 * Whatever error the plugin answered instead would be printed the same way;
 * only an answer that is not an error, received before the connection
 * closes, is not.
 *
 * So when this plugin itself reports check failures — which the engine
 * always treats as fatal to the deployment (step_generator.go: "resource %s
 * is invalid", a bail) — it first answers every construct in flight with the
 * component's URN and its outputs unknown, then returns the failures; a
 * construct that arrives later is answered the same way at once. The
 * answers are on the wire before the failures, so the engine receives them
 * before it can close the connection; it never uses them (the deployment
 * ends on the failures: its step loop is waiting for this very check). The
 * construct's own later answer, if any, is dropped. Nothing else settles a
 * construct: its own errors are reported as they always were.
 */
import * as path from "node:path";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

interface ConstructRequest {
    getProject(): string;
    getStack(): string;
    getType(): string;
    getName(): string;
    getParent(): string;
}

type Callback = (error: unknown, response?: unknown) => void;
type Handler = (call: { request: ConstructRequest }, callback: Callback) => unknown;

interface InFlight {
    readonly settle: () => void;
}

const inFlight = new Set<InFlight>();

/** Set once this process has reported a failure that ends the deployment. */
let ending = false;

/**
 * How long a fatal answer waits for constructs the engine sent just before
 * it: a Construct sent beside the failing Check may still sit unread behind
 * the check's own work (seen: 23 ms on an idle machine). Twenty times that,
 * for a loaded CI machine: it delays only a failing check.
 */
const GRACE_MS = 500;

/** A module as @pulumi/pulumi itself resolves it (its gRPC server, its protobuf runtime). */
function sdkRequire<T>(id: string): T {
    const sdkDirectory = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    return require(require.resolve(id, { paths: [sdkDirectory] })) as T;
}

type AddService = (this: unknown, service: unknown, implementation: Record<string, unknown>) => unknown;

/** The URN the SDK gives the component: `<parent's type chain>$<type>::<name>`, the stack's type left out. */
export function componentUrn(request: ConstructRequest): string {
    const parent = request.getParent();
    const stackPrefix = `urn:pulumi:${request.getStack()}::${request.getProject()}::`;
    const parentPrefix = parent === "" ? stackPrefix : `${parent.slice(0, parent.lastIndexOf("::"))}$`;
    const prefix = parentPrefix.endsWith("::pulumi:pulumi:Stack$") ? stackPrefix : parentPrefix;
    return `${prefix}${request.getType()}::${request.getName()}`;
}

/**
 * Wraps the provider service's `construct` handler so that constructs in
 * flight can be answered early. `outputs` names the component's outputs
 * (answered unknown). Call right before `provider.main`: it intercepts the
 * one `addService` that `main` makes, synchronously, then restores it.
 */
export function trackConstructs(outputs: readonly string[], serve: () => Promise<void>): Promise<void> {
    const grpc = sdkRequire<{ Server: { prototype: { addService: AddService } } }>("@grpc/grpc-js");
    const { ResourceProviderService } = require("@pulumi/pulumi/proto/provider_grpc_pb.js");
    const { ConstructResponse } = require("@pulumi/pulumi/proto/provider_pb.js");
    const { Struct } = sdkRequire<{ Struct: { fromJavaScript(value: Record<string, unknown>): unknown } }>(
        "google-protobuf/google/protobuf/struct_pb.js",
    );

    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (this: unknown, service: unknown, implementation: Record<string, unknown>) {
        if (service !== ResourceProviderService || typeof implementation.construct !== "function") {
            return addService.call(this, service, implementation);
        }
        const construct = (implementation.construct as Handler).bind(implementation);
        const wrapped: Handler = (call, callback) => {
            let answered = false;
            const entry: InFlight = {
                settle: () => {
                    if (answered) return;
                    answered = true;
                    inFlight.delete(entry);
                    const response = new ConstructResponse();
                    response.setUrn(componentUrn(call.request));
                    response.setState(Struct.fromJavaScript(Object.fromEntries(outputs.map((name) => [name, unknownValue]))));
                    callback(null, response);
                },
            };
            inFlight.add(entry);
            if (ending) {
                entry.settle(); // the deployment is over: building the component now would only be cut off
                return;
            }
            return construct(call, (error, response) => {
                if (answered) return; // settled: the engine has its answer
                answered = true;
                inFlight.delete(entry);
                callback(error, response);
            });
        };
        const proxy = new Proxy(implementation, {
            get: (target, property, receiver) => (property === "construct" ? wrapped : Reflect.get(target, property, receiver)),
        });
        return addService.call(this, service, proxy);
    };
    try {
        return serve(); // provider.main adds its service before its first await
    } finally {
        grpc.Server.prototype.addService = addService;
    }
}

/**
 * Answers every construct in flight (see above), after a short grace for
 * those the engine has sent but this process has not read yet; constructs
 * arriving afterwards are answered at once. Await it only when the engine is
 * certain to end the deployment, before the answer that makes it do so.
 */
export async function deploymentEnding(): Promise<void> {
    ending = true;
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS));
    for (const entry of [...inFlight]) entry.settle();
}
