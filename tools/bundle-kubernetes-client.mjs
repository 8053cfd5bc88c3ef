// Bundles the parts of @kubernetes/client-node the store uses into one file,
// dist/vendor/kubernetes-client.cjs (see provider/store/kubernetes-client.ts
// for why). Run by `npm run build` after tsc.
import { fileURLToPath } from "node:url";
import * as path from "node:path";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLIENT = "@kubernetes/client-node/dist";

await build({
    stdin: {
        contents: [
            `export { KubeConfig } from "${CLIENT}/config.js";`,
            `export { ObjectCustomObjectsApi as CustomObjectsApi } from "${CLIENT}/gen/types/ObjectParamAPI.js";`,
            `export { createConfiguration } from "${CLIENT}/gen/configuration.js";`,
            `export { ServerConfiguration } from "${CLIENT}/gen/servers.js";`,
            `export { ApiException } from "${CLIENT}/gen/apis/exception.js";`,
        ].join("\n"),
        resolveDir: root,
        sourcefile: "kubernetes-client.mjs",
    },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: path.join(root, "dist/vendor/kubernetes-client.cjs"),
    legalComments: "eof",
    logLevel: "warning",
});
