import type { Allocation, ReleaseValue } from "../core/ledger";
import { findSubnet } from "../service/allocations";
import { recordUsage } from "../service/usage";
import { LedgerStore } from "../store/ledger-store";
import { usageSourceOf } from "../store/store-spec";
import { warnToPulumi } from "./pulumi-log";

/**
 * The Kubernetes-store route of the usage signal: a SubnetAllocation's
 * refresh reads its cluster's WorkerSliceConfig and records Allocated → InUse,
 * and its delete warns when it releases a cluster with connected pods. The
 * file store has no cluster to read: nothing is observed (the component's
 * SubnetUsage, fed by the WorkerSliceConfigs it applied, covers that case).
 */

export type Warn = (message: string) => void;

/**
 * The allocation after recording what its WorkerSliceConfig reports, or
 * undefined when nothing was observed. A refresh never fails for the usage
 * signal alone (a cluster without KubeSlice's CRDs, an identity without the
 * new RBAC rule): it warns and reports the allocation as stored.
 */
export async function observeOnRefresh(
    store: LedgerStore,
    sliceName: string,
    clusterName: string,
    warn: Warn = warnToPulumi,
): Promise<Allocation | undefined> {
    const source = usageSourceOf(store);
    if (source === undefined) {
        return undefined;
    }
    try {
        const [usage] = await recordUsage(store, sliceName, await source.observe(sliceName, [clusterName]));
        if (usage.ignored.length > 0) {
            warn(
                `slice "${sliceName}", cluster "${clusterName}": WorkerSliceConfig ${usage.workerSliceConfig} lists entries ` +
                    `that name no pod; they were not counted: ${usage.ignored.join("; ")}`,
            );
        }
        return usage.outcome === "marked-in-use" ? findSubnet(store, sliceName, clusterName) : undefined;
    } catch (error) {
        warn(`slice "${sliceName}", cluster "${clusterName}": usage not observed on this refresh: ${(error as Error).message}`);
        return undefined;
    }
}

/**
 * Says so when a release took a subnet from a cluster whose worker reported
 * connected pods: the user asked for the release, so it happens, but those
 * pods lose the slice network. Counted now, from the WorkerSliceConfig.
 */
export async function warnIfReleasedInUse(
    store: LedgerStore,
    sliceName: string,
    clusterName: string,
    released: ReleaseValue,
    warn: Warn = warnToPulumi,
): Promise<void> {
    const source = usageSourceOf(store);
    if (!released.changed || released.previousStatus !== "InUse" || source === undefined) {
        return;
    }
    let pods: string;
    try {
        const [observed] = await source.observe(sliceName, [clusterName]);
        pods = observed.found
            ? `its WorkerSliceConfig ${observed.workerSliceConfig} reports ${observed.connectedPods} connected app pod(s)`
            : `its WorkerSliceConfig ${observed.workerSliceConfig} is gone, so 0 connected app pods are reported now`;
    } catch (error) {
        pods = `its connected app pods could not be counted (${(error as Error).message})`;
    }
    warn(
        `slice "${sliceName}": released subnet ${released.allocation?.subnet} of cluster "${clusterName}", which was InUse: ` +
            `${pods}; they lose the slice network once the worker drops the subnet. It stays reserved for the cluster ` +
            `for the slice's grace period: add the cluster back before then to get the same subnet.`,
    );
}
