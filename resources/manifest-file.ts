import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, ResourceKind } from "./dynamic-resource";
import { forwardingProvider } from "./handlers-module";

/** The dynamic provider behind {@link ManifestFile}, for `pulumi.dynamic.Resource`; captures nothing but a module id. */
export const manifestFileProvider: pulumi.dynamic.ResourceProvider = forwardingProvider("manifestFile");

export interface ManifestFileArgs {
    /** The file's path; relative paths resolve against the Pulumi project directory. Changing it replaces the file. */
    readonly path: pulumi.Input<string>;
    /** The file's content, written on create and update. */
    readonly content: pulumi.Input<string>;
    /**
     * Allow a path outside the Pulumi project directory (after resolving `..` and symbolic links); refused
     * otherwise.
     */
    readonly allowOutsideProject?: pulumi.Input<boolean>;
}

export const MANIFEST_FILE: ResourceKind = { type: "ManifestFile", handlers: "manifestFile", outputs: [] };

/**
 * A rendered manifest kept on disk for a GitOps repository: written on
 * create and update, removed on delete, so the directory always mirrors the
 * stack. A file edited by hand shows as drift on `pulumi refresh`. It only
 * writes inside the project directory (unless `allowOutsideProject`), never
 * over a file it did not write, and removes a file only while it holds what
 * the stack's state says (docs/component.md, "Manifest files").
 */
export class ManifestFile extends DynamicResource {
    declare readonly path: pulumi.Output<string>;
    declare readonly content: pulumi.Output<string>;
    declare readonly allowOutsideProject: pulumi.Output<boolean | undefined>;

    constructor(name: string, args: ManifestFileArgs, opts?: pulumi.CustomResourceOptions) {
        super(MANIFEST_FILE, name, args, opts);
    }
}
