import type * as pulumi from "@pulumi/pulumi";
import { HandlerKind, providerModuleText } from "./handlers-module";
import { PackageResource, PackageResourceArgs } from "./package-resource";

/** What a resource class declares once: its type name, the handlers serving it, the outputs they compute. */
export interface ResourceKind {
    readonly type: string;
    readonly handlers: HandlerKind;
    readonly outputs: readonly string[];
}

/**
 * A Pulumi dynamic resource of this package: type
 * `pulumi-nodejs:dynamic/kubeslice-ipam:<type>`, served by the engine's
 * dynamic-provider host like any `pulumi.dynamic.Resource`, with the short
 * `__provider` module of {@link providerModuleText} in place of a serialized
 * closure. Resources created with the closure (0.1) keep working: the host
 * uses the text each request carries, and both load the same handlers.
 */
export abstract class DynamicResource extends PackageResource {
    protected constructor(kind: ResourceKind, name: string, args: PackageResourceArgs, opts: pulumi.CustomResourceOptions | undefined) {
        super(`pulumi-nodejs:dynamic/kubeslice-ipam:${kind.type}`, name, args, kind.outputs, opts, {
            __provider: providerModuleText(kind.handlers),
        });
    }
}
