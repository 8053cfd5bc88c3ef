import { appendFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KubeSliceIpam } from "kubeslice-ipam";

// e2e fixture: what platform teams do with a current engine — a stack
// transform that protects every allocation the component makes, and a
// resource hook that records each new subnet. Both go through the language
// host's resource monitor (RegisterStackTransform, RegisterResourceHook),
// which language hosts before v3.1xx do not forward.
//   clusters        JSON list of cluster names (required)
//   storeDirectory  the file store's directory, absolute (required)
//   journal         file the hook appends "<cluster> <subnet>" lines to (required)
//   protect         protect allocations (default true)
const config = new pulumi.Config();
const journal = config.require("journal");
const protect = config.getBoolean("protect") ?? true;

const recordSubnet = new pulumi.ResourceHook("record-subnet", (args) => {
    appendFileSync(journal, `${args.newOutputs?.clusterName} ${args.newOutputs?.subnet}\n`);
});

pulumi.runtime.registerResourceTransform((args) => {
    if (!args.type.endsWith("kubeslice-ipam:SubnetAllocation")) return undefined;
    return {
        props: args.props,
        opts: pulumi.mergeOptions(args.opts, { protect, hooks: { afterCreate: [recordSubnet] } }),
    };
});

const slice = new KubeSliceIpam("blue", {
    sliceName: "blue",
    namespace: "kubeslice-e2e",
    sliceSubnet: "10.8.0.0/16",
    clusters: config.requireObject<string[]>("clusters"),
    store: { kind: "file", directory: config.require("storeDirectory") },
});

export const subnets = slice.subnets;
