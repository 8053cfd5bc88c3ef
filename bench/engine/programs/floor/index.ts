import * as pulumi from "@pulumi/pulumi";

// Engine benchmark floor: the same number of resources as the component's
// allocations, each a dynamic resource whose create returns its inputs. Its
// provider is a module-level object with no captures, as small as Pulumi can
// serialize one; its inputs are shaped like a SubnetAllocation's.
const noop: pulumi.dynamic.ResourceProvider = {
    create: async (inputs) => ({ id: `${inputs.sliceName}/${inputs.clusterName}`, outs: inputs }),
};

class Noop extends pulumi.dynamic.Resource {
    constructor(name: string, props: Record<string, pulumi.Input<unknown>>) {
        super(noop, name, props, undefined, "kubeslice-ipam-bench", "Noop");
    }
}

const config = new pulumi.Config();
const count = config.requireNumber("clusters");
const store = { kind: "file", directory: config.require("storeDirectory") };
const subnets: Record<string, pulumi.Output<string>> = {};
for (let i = 0; i < count; i++) {
    const clusterName = `cluster-${String(i).padStart(4, "0")}`;
    const resource = new Noop(`bench-${clusterName}`, { sliceName: "bench", clusterName, store });
    subnets[clusterName] = resource.id;
}

export const ids = pulumi.all(subnets);
