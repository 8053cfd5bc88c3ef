import type * as pulumi from "@pulumi/pulumi";
import { Allocation } from "../core/ledger";
import { changedProperties, checkProperties, containsUnknown, SubnetAllocationInputs, subnetAllocationInputShape, toCheckFailures } from "../inputs";
import { allocateSubnet, findSubnet, releaseSubnet } from "../service/allocations";
import { openStore } from "../store/store-spec";

const REPLACING_PROPERTIES = ["sliceName", "clusterName", "store"] as const;

type Props = Record<string, any>;

export async function check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, issues } = checkProperties(subnetAllocationInputShape, news);
    return { inputs, failures: toCheckFailures(issues) };
}

/**
 * Another slice, cluster or store is another allocation: replace it. A
 * subnet found Released by a refresh (released out of band) is an in-place
 * update that takes it back.
 *
 * An unknown value is never a replacement: when the SliceIpam is replaced
 * delete-first, the engine asks its dependents' diff with the slice's outputs
 * unknown, and a "replace" here would release every cluster, let the slice
 * delete succeed and re-address the clusters. Answering "update" keeps the
 * allocations, so the slice's delete refuses as designed.
 */
export async function diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const unknown = REPLACING_PROPERTIES.some((property) => containsUnknown(news[property]));
    const replaces = REPLACING_PROPERTIES.filter(
        (property) => !containsUnknown(news[property]) && changedProperties(olds, news, [property]).length > 0,
    );
    const reactivate = olds.status === "Released";
    return { changes: replaces.length > 0 || reactivate || unknown, replaces };
}

/** Allocates, or adopts what the store already holds for the cluster. */
export async function create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const args = inputs as SubnetAllocationInputs;
    const allocated = await allocateSubnet(openStore(args.store), args.sliceName, args.clusterName);
    return {
        id: `${args.sliceName}/${args.clusterName}`,
        outs: outputs(args, allocated.allocation, allocated.outcome === "reused"),
    };
}

/** Reports what the store holds now; an allocation gone from the store drops out of the stack. */
export async function read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const args = props as SubnetAllocationInputs;
    const held = await findSubnet(openStore(args.store), args.sliceName, args.clusterName);
    if (held === undefined) {
        return {};
    }
    return { id, props: outputs(args, held, props.reused === true) };
}

export async function update(_id: string, _olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    const args = news as SubnetAllocationInputs;
    const allocated = await allocateSubnet(openStore(args.store), args.sliceName, args.clusterName);
    return { outs: outputs(args, allocated.allocation, allocated.outcome === "reused") };
}

/** Releases the subnet: it stays reserved for the cluster for the grace period. */
export async function remove(_id: string, props: Props): Promise<void> {
    const args = props as SubnetAllocationInputs;
    await releaseSubnet(openStore(args.store), args.sliceName, args.clusterName);
}

function outputs(args: SubnetAllocationInputs, allocation: Allocation, reused: boolean): Props {
    return {
        sliceName: args.sliceName,
        clusterName: args.clusterName,
        ...(args.store === undefined ? {} : { store: args.store }),
        subnet: allocation.subnet,
        index: allocation.index,
        status: allocation.status,
        allocatedAt: allocation.allocatedAt,
        reused,
    };
}
