/**
 * Pulumi's log API for the handlers. `@pulumi/pulumi` is loaded on the first
 * message, not when the handlers module loads: that module must stay cheap to
 * load (resources load it by module id, see `resources/handlers-module.ts`), and most
 * calls log nothing.
 */
export function pulumiLog(): typeof import("@pulumi/pulumi").log {
    return (require("@pulumi/pulumi") as typeof import("@pulumi/pulumi")).log;
}

/** A warning shown with the deployment's output. */
export function warnToPulumi(message: string): void {
    void pulumiLog().warn(message);
}

/** An informational message shown with the deployment's output. */
export function infoToPulumi(message: string): void {
    void pulumiLog().info(message);
}
