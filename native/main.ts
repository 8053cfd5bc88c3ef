import * as provider from "@pulumi/pulumi/provider";
import { COMPONENT_OUTPUTS } from "./component";
import { trackConstructs } from "./in-flight-constructs";
import { KubesliceIpamProvider } from "./provider";
import { guardReadRequests } from "./read-request-guard";

/** Entry point of the source-based plugin (plugin/index.js): serves the native provider over gRPC. */
export function main(args: string[]): Promise<void> {
    guardReadRequests();
    const { version } = require("../../package.json") as { version: string };
    return trackConstructs(COMPONENT_OUTPUTS, () => provider.main(new KubesliceIpamProvider(version), args));
}
