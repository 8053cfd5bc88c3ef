import * as pulumi from "@pulumi/pulumi";

// Another team's stack reads the subnets the quickstart allocated, e.g. to
// open firewall rules for each cluster's overlay network.
const config = new pulumi.Config();
const ipamStack = new pulumi.StackReference(config.require("ipamStack")); // e.g. "organization/kubeslice-ipam-quickstart/dev"

const subnets = ipamStack.requireOutput("subnets") as pulumi.Output<Record<string, string>>;

export const worker1Subnet = subnets.apply((s) => s["worker-1"]);
export const firewallRules = subnets.apply((s) =>
    Object.entries(s)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([cluster, cidr]) => `allow from ${cidr} (cluster ${cluster})`),
);
