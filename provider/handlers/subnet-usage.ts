import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { findAllocation } from "../core/ledger";
import { quoted } from "../core/issues";
import { UsageObservation } from "../core/usage";
import { dnsLabelSchema } from "../core/validation";
import { connectedPodsOf } from "../core/worker-slice-status";
import { changedProperties, checkProperties, containsUnknown, InputsOf, Properties, requireValidInputs, toCheckFailures } from "./inputs";
import { findSubnet } from "../service/allocations";
import { IpamError } from "../service/errors";
import { recordUsage } from "../service/usage";
import { openStore, storeSpecSchema, usageSourceOf } from "../store/store-spec";
import { Warn } from "./allocation-usage";
import { warnToPulumi } from "./pulumi-log";

/**
 * The component's route of the usage signal: the status of a WorkerSliceConfig
 * the component applied with its kubernetesProvider (as the Kubernetes
 * provider last read it: `pulumi up --refresh`) is recorded in the slice's
 * ledger, whatever the store. Allocated → InUse; never back.
 */

type Props = Properties;

const shape = {
    sliceName: dnsLabelSchema("sliceName"),
    clusterName: dnsLabelSchema("clusterName"),
    workerSliceConfig: z.string({ error: "workerSliceConfig must be the WorkerSliceConfig's name" }).min(1),
    // Decoded entry by entry by connectedPodsOf: the worker's status is data to read, never refused as an input.
    workerSliceConfigStatus: z.unknown().optional(),
    store: storeSpecSchema.optional(),
};

type SubnetUsageInputs = InputsOf<typeof shape>;

const REPLACING = ["sliceName", "clusterName"];

export async function check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, issues } = checkProperties(shape, news);
    return { inputs, failures: toCheckFailures(issues) };
}

/**
 * A preview does not know the WorkerSliceConfig's status when the live object
 * has none yet (the SDK reports a missing output as unknown while planning):
 * that alone is no change, or every preview of a slice whose workers have not
 * reported would show an update. `up` passes the known value and records it.
 */
export async function diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedProperties(olds, news, REPLACING);
    const compared = Object.keys(shape).filter((property) => !(property === "workerSliceConfigStatus" && containsUnknown(news[property])));
    const changes = changedProperties(olds, news, compared).length > 0;
    return { changes, replaces, deleteBeforeReplace: true };
}

export async function create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const args = validInputs(inputs);
    return { id: `${args.sliceName}/${args.clusterName}`, outs: await record(args) };
}

export async function update(_id: string, _olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await record(validInputs(news)) };
}

/** The allocation's status as stored now; gone from the store, the usage record drops out too. */
export async function read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const args = validInputs(props); // a refresh or import skipped check too: nothing unchecked reaches a store
    const held = await findSubnet(openStore(args.store), args.sliceName, args.clusterName);
    return held === undefined ? {} : { id, props: { ...props, allocationStatus: held.status } };
}

/**
 * Records nothing: release is the SubnetAllocation's. The WorkerSliceConfig
 * goes too, so a cluster still InUse is about to lose its pods' slice
 * network: say so with the count it last reported. A store that reaches the
 * WorkerSliceConfigs itself (Kubernetes) warns at release with a live count.
 */
export async function remove(_id: string, props: Props, warn: Warn = warnToPulumi): Promise<void> {
    const args = validInputs(props);
    const store = openStore(args.store);
    if (usageSourceOf(store) !== undefined) {
        return;
    }
    const loaded = await store.load(args.sliceName);
    const held = loaded === undefined ? undefined : findAllocation(loaded.ledger, args.clusterName);
    if (held?.status === "InUse") {
        warn(
            `slice "${args.sliceName}": cluster "${args.clusterName}" is InUse and its WorkerSliceConfig ${args.workerSliceConfig} ` +
                `is being removed; it reported ${props.connectedPods ?? 0} connected app pod(s) at the last refresh, which lose ` +
                `the slice network. Its subnet ${held.subnet} is released with its SubnetAllocation and stays reserved for the ` +
                `cluster for the slice's grace period.`,
        );
    }
}

async function record(args: SubnetUsageInputs): Promise<Props> {
    const { pods, ignored } = connectedPodsOf(args.workerSliceConfigStatus);
    const observation: UsageObservation = {
        clusterName: args.clusterName,
        found: true,
        workerSliceConfig: args.workerSliceConfig,
        connectedPods: pods.length,
        ignored,
    };
    const [usage] = await recordUsage(openStore(args.store), args.sliceName, [observation]);
    if (usage.status === undefined) {
        throw new IpamError(
            "unknown-cluster",
            `slice "${args.sliceName}" has no allocation for cluster "${args.clusterName}", whose WorkerSliceConfig ` +
                `${args.workerSliceConfig} reports usage; run pulumi up again so that its SubnetAllocation is created first`,
        );
    }
    if (ignored.length > 0) {
        warnToPulumi(
            `slice "${args.sliceName}", cluster "${args.clusterName}": WorkerSliceConfig ${args.workerSliceConfig} lists ` +
                `entries that name no pod; they were not counted: ${ignored.join("; ")}`,
        );
    }
    return { ...args, allocationStatus: usage.status, connectedPods: pods.length };
}

function validInputs(props: Props): SubnetUsageInputs {
    const subject = `usage of cluster ${quoted(props?.clusterName)} in slice ${quoted(props?.sliceName)}`;
    return requireValidInputs(shape, props, subject);
}
