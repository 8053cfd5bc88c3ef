/**
 * `pulumi import` sends a Read with no `properties` (nothing is in state
 * yet), and @pulumi/pulumi's provider server calls `toJavaScript()` on them
 * unguarded ("Cannot read properties of undefined (reading 'toJavaScript')",
 * still so in 3.276). It also never passes the request's `inputs` on. This
 * makes the request answer with the inputs (what an `import` resource option
 * declares) when properties are absent, and with an empty object when both
 * are, so the provider's own `read` sees an import as "props without
 * outputs" and can answer from the id. Installed once, in the plugin
 * process only (never in a program).
 */
export function guardReadRequests(): void {
    const proto = require("@pulumi/pulumi/proto/provider_pb.js");
    // The Struct class the SDK itself uses: google-protobuf as @pulumi/pulumi resolves it.
    const sdkDirectory = require("node:path").dirname(require.resolve("@pulumi/pulumi/package.json"));
    const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb.js", { paths: [sdkDirectory] }));
    const prototype = proto.ReadRequest.prototype;
    if (prototype.__kubesliceIpamGuarded) return;
    const getProperties = prototype.getProperties;
    prototype.getProperties = function (this: { getInputs(): unknown }) {
        return getProperties.call(this) ?? this.getInputs() ?? Struct.fromJavaScript({});
    };
    prototype.__kubesliceIpamGuarded = true;
}
