import * as path from "node:path";

/**
 * How a serialized provider finds its implementation at call time.
 *
 * Installed as a package (the normal case), the id is the package-relative
 * name, e.g. `kubeslice-ipam/dist/provider/handlers/index.js`: Pulumi state
 * then holds no machine-specific path, and a newer installed version serves
 * resources created by an older one. From a source checkout (this repo's own
 * tests and examples) it is the absolute path of the built module.
 */
export function handlersModuleId(providerDirectory: string = __dirname): string {
    const file = path.join(path.resolve(providerDirectory), "handlers", "index.js");
    const marker = `${path.sep}node_modules${path.sep}`;
    const at = file.lastIndexOf(marker);
    return at === -1 ? file : file.slice(at + marker.length).split(path.sep).join("/");
}
