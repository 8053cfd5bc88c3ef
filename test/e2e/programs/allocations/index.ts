import * as pulumi from "@pulumi/pulumi";
import { SubnetAllocation } from "kubeslice-ipam";

// e2e fixture: a team's stack that only declares its clusters' allocations in
// a slice registered by another stack (the README's plain-resource usage).
//   sliceName       the slice (required; registered elsewhere)
//   clusters        JSON list of cluster names (required)
//   storeDirectory  the shared file store's directory, absolute (required)
//   planned         JSON cluster → subnet: planned requestedSubnets (default: none)
//   planMustHold    boolean (default: unset)
const config = new pulumi.Config();
const sliceName = config.require("sliceName");
const store = { kind: "file", directory: config.require("storeDirectory") } as const;
const clusters = config.requireObject<string[]>("clusters");
const planned = config.getObject<Record<string, string>>("planned") ?? {};
const planMustHold = config.getBoolean("planMustHold");

const byCluster = Object.fromEntries(
    clusters.map((clusterName) => {
        const plan = planned[clusterName] === undefined ? {} : { requestedSubnet: planned[clusterName], requestedSubnetIsPlan: true, planMustHold };
        return [clusterName, new SubnetAllocation(`${sliceName}-${clusterName}`, { sliceName, clusterName, store, ...plan })];
    }),
);

export const subnets = pulumi.all(Object.fromEntries(clusters.map((c) => [c, byCluster[c].subnet])));
export const allocations = pulumi.all(
    Object.fromEntries(
        clusters.map((c) => {
            const a = byCluster[c];
            return [
                c,
                pulumi
                    .all([a.subnet, a.index, a.status, a.allocatedAt, a.reused])
                    .apply(([subnet, index, status, allocatedAt, reused]) => ({ subnet, index, status, allocatedAt, reused })),
            ];
        }),
    ),
);
