import * as pulumi from "@pulumi/pulumi";

// Engine benchmark floor: the same number of resources as the component's
// allocations, each a dynamic resource whose create returns its inputs. Its
// provider is a module-level object with no captures, as small as Pulumi can
// serialize one. Its properties are those of a SubnetAllocation: the inputs
// the component sends, and the five outputs declared (the SDK makes an output
// of every property), which create leaves unset.
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
const outputs = { subnet: undefined, index: undefined, status: undefined, allocatedAt: undefined, reused: undefined };
const ids: Record<string, pulumi.Output<string>> = {};
for (let i = 0; i < count; i++) {
    const clusterName = `cluster-${String(i).padStart(4, "0")}`;
    const requestedSubnet = `10.${Math.floor(i / 1024)}.${Math.floor(i / 4) % 256}.${(i % 4) * 64}/26`;
    const props = { sliceName: "bench", clusterName, requestedSubnet, requestedSubnetIsPlan: true, store };
    const resource = new Noop(
        `bench-${clusterName}`,
        config.getBoolean("allocationShape") === false ? { sliceName: "bench", clusterName, store } : { ...props, ...outputs },
    );
    ids[clusterName] = resource.id;
}

export const subnets = pulumi.all(ids);
