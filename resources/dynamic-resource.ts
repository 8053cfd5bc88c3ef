import * as pulumi from "@pulumi/pulumi";
import { HandlerKind, providerModuleText } from "./handlers-module";

/**
 * A Pulumi dynamic resource of this package: type
 * `pulumi-nodejs:dynamic/kubeslice-ipam:<type>`, served by the engine's
 * dynamic-provider host like any `pulumi.dynamic.Resource`, with the short
 * `__provider` module of {@link providerModuleText} in place of a serialized
 * closure. Resources created with the closure (0.1) keep working: the host
 * uses the text each request carries, and both load the same handlers.
 */
export abstract class DynamicResource extends pulumi.CustomResource {
    protected constructor(
        kind: HandlerKind,
        type: string,
        name: string,
        props: pulumi.Inputs,
        opts: pulumi.CustomResourceOptions | undefined,
        moduleId?: string,
    ) {
        super(`pulumi-nodejs:dynamic/kubeslice-ipam:${type}`, name, { ...props, __provider: providerModuleText(kind, moduleId) }, opts);
    }
}
