import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

/**
 * How a serialized provider finds its implementation at call time.
 *
 * Installed as a package (the normal case), the id is the package-relative
 * name, e.g. `kubeslice-ipam/dist/provider/handlers/index.js`: Pulumi state
 * then holds no machine-specific path, and a newer installed version serves
 * resources created by an older one. From a source checkout (this repo's own
 * tests and examples) it is the absolute path of the built module.
 */
export function handlersModuleId(providerDirectory: string = path.join(__dirname, "..", "provider")): string {
    const file = path.join(path.resolve(providerDirectory), "handlers", "index.js");
    const marker = `${path.sep}node_modules${path.sep}`;
    const at = file.lastIndexOf(marker);
    return at === -1
        ? file
        : file
              .slice(at + marker.length)
              .split(path.sep)
              .join("/");
}

/** The implementations a forwarding provider can stand for (keys of the handlers module). */
export type HandlerKind = "sliceIpam" | "subnetAllocation" | "manifestFile" | "subnetUsage";

/**
 * The `__provider` text of this package's resources: a one-line module the
 * dynamic-provider host evaluates, handing back the handlers it loads by
 * module id. `pulumi.dynamic.Resource` would store the closure serialization
 * of a forwarding provider instead, ~2.2 KB for the same two strings, kept
 * twice per resource (inputs and outputs) in a state the engine rewrites
 * after every step. Keep this contract: state holds these texts.
 */
export function providerModuleText(kind: HandlerKind, moduleId: string = handlersModuleId()): string {
    return `exports.handler = () => require(${JSON.stringify(moduleId)}).providers.${kind};\n`;
}

/**
 * A dynamic provider that loads its implementation by module id inside each
 * call, so serializing it captures two strings and no state.
 */
export function forwardingProvider(kind: HandlerKind, moduleId: string = handlersModuleId()): pulumi.dynamic.ResourceProvider {
    const handlers = (): (typeof import("../provider/handlers"))[HandlerKind] => (require(moduleId) as typeof import("../provider/handlers"))[kind];
    return {
        configure: (request) => (require(moduleId) as typeof import("../provider/handlers")).configure(request),
        check: (olds, news) => handlers().check(olds, news),
        diff: (id, olds, news) => handlers().diff(id, olds, news),
        create: (inputs) => handlers().create(inputs),
        read: (id, props) => handlers().read(id, props),
        update: (id, olds, news) => handlers().update(id, olds, news),
        delete: (id, props) => handlers().remove(id, props),
    };
}
