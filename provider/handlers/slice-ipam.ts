import type * as pulumi from "@pulumi/pulumi";
import { quoted } from "../core/issues";
import { capacity, reservedOverlapsWithHeld, SliceLedger } from "../core/ledger";
import { poolChange, withIpv6Pool } from "../core/dual-stack";
import { checkIpv6Pool, checkReservedRangesLeaveRoom, checkSubnetSizeFitsSlice, InputIssue, SliceSpec } from "../core/validation";
import {
    changedProperties,
    checkProperties,
    containsUnknown,
    Properties,
    requireValidInputs,
    SliceIpamInputs,
    sliceIpamInputShape,
    toCheckFailures,
} from "./inputs";
import { loadSlice, loadSliceToPlan, registerSlice, unregisterSlice, updateSliceSettings } from "../service/slices";
import { IpamError } from "../service/errors";
import { LedgerStore } from "../store/ledger-store";
import { openStore } from "../store/store-spec";

// Changing these would re-address every cluster or orphan their allocations.
const IMMUTABLE_PROPERTIES = ["sliceName", "sliceSubnet", "subnetSize"] as const;
// Immutable too, but for one change made in place: adding an IPv6 pool to a slice that has none.
const IPV6_POOL_PROPERTIES = ["sliceSubnetIpv6", "subnetSizeIpv6"] as const;
// A store change is an update: the slice must already be in the new store (copied there).
// Reserved ranges change in place too: removing frees nothing held, adding is checked against the holders.
const MUTABLE_PROPERTIES = ["gracePeriodSeconds", "maxClusters", "reservedRanges", "acceptReservedOverlaps", "store"] as const;

const crossChecks = [
    // The slice subnet as given: a subnetSize outside its IP version's range is reported even when the subnet breaks another rule.
    (known: Record<string, unknown>, given: Properties) =>
        typeof given.sliceSubnet === "string" && typeof known.subnetSize === "number"
            ? checkSubnetSizeFitsSlice(given.sliceSubnet, known.subnetSize)
            : undefined,
    ...IPV6_POOL_PROPERTIES.map((property) => (known: Record<string, unknown>, given: Properties) => ipv6PoolIssue(known, given, property)),
    (known: Record<string, unknown>) =>
        typeof known.sliceSubnet === "string" && typeof known.subnetSize === "number" && Array.isArray(known.reservedRanges)
            ? checkReservedRangesLeaveRoom(known.sliceSubnet, known.subnetSize, known.reservedRanges as string[], {
                  sliceSubnetIpv6: known.sliceSubnetIpv6 as string | undefined,
                  subnetSizeIpv6: known.subnetSizeIpv6 as number | undefined,
              })
            : undefined,
];

/** The IPv6 pool's rules across properties, reported on `property`; waits while a property they read is unknown or invalid. */
function ipv6PoolIssue(known: Record<string, unknown>, given: Properties, property: string): InputIssue | undefined {
    const read = ["sliceSubnet", ...IPV6_POOL_PROPERTIES];
    if (read.some((name) => containsUnknown(given[name]) || (given[name] !== undefined && known[name] === undefined))) {
        return undefined;
    }
    const settings = {
        sliceSubnet: known.sliceSubnet as string,
        sliceSubnetIpv6: known.sliceSubnetIpv6 as string | undefined,
        subnetSizeIpv6: known.subnetSizeIpv6 as number | undefined,
    };
    return checkIpv6Pool(settings).find((issue) => issue.property === property);
}

export async function check(_olds: Properties, news: Properties): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, issues } = checkProperties(sliceIpamInputShape, news, crossChecks);
    if (issues.length === 0 && !containsUnknown(inputs)) {
        issues.push(...(await registeredSliceIssues(inputs as unknown as SliceIpamInputs)));
    }
    return { inputs, failures: toCheckFailures(issues) };
}

/** What the slice as registered now refuses of the inputs: the IPv6 pool's addition, then reserved ranges added over held subnets. */
async function registeredSliceIssues(args: SliceIpamInputs): Promise<InputIssue[]> {
    const adding = args.sliceSubnetIpv6 !== undefined;
    if (!adding && (args.acceptReservedOverlaps === true || args.reservedRanges === undefined || args.reservedRanges.length === 0)) {
        return [];
    }
    const ledger = await loadSliceToPlan(openStore(args.store), args.sliceName);
    if (ledger === undefined) {
        return [];
    }
    const change = poolChange(ledger.spec, specOf(args));
    if (change === "different") {
        return []; // another pool: a replacement, whose registration refuses it with its own message
    }
    const now = new Date();
    let current = ledger;
    if (change === "ipv6-pool-added") {
        const added = withIpv6Pool(ledger, { sliceSubnetIpv6: args.sliceSubnetIpv6!, subnetSizeIpv6: args.subnetSizeIpv6! }, now);
        if (!added.ok) {
            return [{ property: "sliceSubnetIpv6", message: added.issue.message }];
        }
        current = added.ledger;
    }
    return reservedOverlapIssues(args, current, now);
}

/**
 * Reserved ranges being added over subnets clusters hold, read from the
 * slice as it is now: refused at preview, naming the clusters, unless
 * `acceptReservedOverlaps`. Checked again when the update writes.
 * A slice not registered yet holds nothing.
 */
function reservedOverlapIssues(args: SliceIpamInputs, ledger: SliceLedger, now: Date): InputIssue[] {
    if (args.acceptReservedOverlaps === true || args.reservedRanges === undefined || args.reservedRanges.length === 0) {
        return [];
    }
    const overlaps = reservedOverlapsWithHeld(ledger, args.reservedRanges, now);
    return overlaps.length === 0 ? [] : [{ property: "reservedRanges", message: overlaps.map((issue) => issue.message).join("; ") }];
}

function validInputs(props: Properties): SliceIpamInputs {
    return requireValidInputs(sliceIpamInputShape, props, `slice ${quoted(props?.sliceName)}`, crossChecks);
}

/** What a read needs: the slice (its id) and where it is; the settings come from the store. */
const readShape = { sliceName: sliceIpamInputShape.sliceName, store: sliceIpamInputShape.store };

/**
 * A changed pool or name is a replacement, deleted before the new one is
 * created: the delete refuses while clusters hold subnets, so nothing is
 * orphaned or duplicated, and the message says how to move to a new slice.
 * An IPv6 pool added to a slice without one is an update: the clusters keep
 * their subnets and get their paired IPv6 ones.
 */
export async function diff(_id: string, olds: Properties, news: Properties): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = IMMUTABLE_PROPERTIES.filter(
        (property) => containsUnknown(news[property]) || changedProperties(olds, news, [property]).length > 0,
    );
    // The IPv6 pool, absent before, added now: in place. Any other change of it (or unknown): a replacement.
    const ipv6PoolAdded = olds.sliceSubnetIpv6 === undefined && olds.subnetSizeIpv6 === undefined && news.sliceSubnetIpv6 !== undefined;
    const ipv6Changes = IPV6_POOL_PROPERTIES.filter(
        (property) => containsUnknown(news[property]) || changedProperties(olds, news, [property]).length > 0,
    );
    if (!ipv6PoolAdded) {
        replaces.push(...ipv6Changes);
    }
    const updates = [...changedProperties(olds, news, MUTABLE_PROPERTIES), ...(ipv6PoolAdded ? ipv6Changes : [])];
    return {
        changes: replaces.length > 0 || updates.length > 0,
        replaces,
        deleteBeforeReplace: replaces.length > 0,
    };
}

export async function create(inputs: Properties): Promise<pulumi.dynamic.CreateResult> {
    const args = validInputs(inputs);
    const { ledger } = await registerSlice(openStore(args.store), specOf(args), undefined, settingsOptions(args));
    return { id: args.sliceName, outs: outputs(args, ledger) };
}

/** Validates like every other call (a refresh or an import skipped check): the id is the slice's name. */
export async function read(id: string, props: Properties): Promise<pulumi.dynamic.ReadResult> {
    const args = requireValidInputs(readShape, { sliceName: id, store: props?.store }, `slice ${quoted(id)}`);
    const ledger = await loadSlice(openStore(args.store), args.sliceName);
    if (ledger === undefined) {
        return {}; // gone from the store: refresh drops it from the stack, `up` registers it again
    }
    const echo = {
        ...args,
        reservedRanges: Array.isArray(props?.reservedRanges) ? (props.reservedRanges as string[]) : undefined,
        acceptReservedOverlaps: typeof props?.acceptReservedOverlaps === "boolean" ? props.acceptReservedOverlaps : undefined,
    };
    return { id, props: outputs(echo, ledger) };
}

export async function update(_id: string, olds: Properties, news: Properties): Promise<pulumi.dynamic.UpdateResult> {
    const args = validInputs(news);
    const store = openStore(args.store);
    if (changedProperties(olds, news, ["store"]).length > 0 && (await loadSlice(store, args.sliceName)) === undefined) {
        throw notCopied(store, args.sliceName);
    }
    const ledger = await updateSliceSettings(store, specOf(args), settingsOptions(args));
    return { outs: outputs(args, ledger) };
}

/** Moving to another store never starts an empty ledger: the slice must have been copied there. */
export function notCopied(store: LedgerStore, sliceName: string): IpamError {
    return new IpamError(
        "slice-not-registered",
        `slice "${sliceName}" is not in ${store.description}, the new store; copy its ledger there first ` +
            `(slice-ipam copy, see "Moving a file-store ledger into the cluster" in docs/stores.md), then run pulumi up again`,
    );
}

export async function remove(id: string, props: Properties): Promise<void> {
    await unregisterSlice(openStore(validInputs(props).store), id);
}

function specOf(args: SliceIpamInputs): SliceSpec {
    return {
        sliceName: args.sliceName,
        sliceSubnet: args.sliceSubnet,
        subnetSize: args.subnetSize,
        gracePeriodSeconds: args.gracePeriodSeconds,
        maxClusters: args.maxClusters,
        ...(args.reservedRanges === undefined ? {} : { reservedRanges: args.reservedRanges }),
        ...(args.sliceSubnetIpv6 === undefined ? {} : { sliceSubnetIpv6: args.sliceSubnetIpv6, subnetSizeIpv6: args.subnetSizeIpv6 }),
    };
}

function settingsOptions(args: SliceIpamInputs): { acceptReservedOverlaps?: boolean } {
    return { acceptReservedOverlaps: args.acceptReservedOverlaps };
}

/** What a SliceIpam reports: its inputs as registered, and the pool's figures. */
type SliceIpamOutputs = SliceIpamInputs & {
    readonly totalSubnets: number;
    readonly availableSubnets: number;
    readonly reservedSubnets: number;
    readonly totalSubnetsExact: string;
    readonly reservedSubnetsExact: string;
};

/**
 * The slice's settings come from the store; `reservedRanges` is echoed as
 * given (an empty list is stored as none), so a refresh shows no change.
 */
function outputs(args: Pick<SliceIpamInputs, "store" | "reservedRanges" | "acceptReservedOverlaps">, ledger: SliceLedger): SliceIpamOutputs {
    const figures = capacity(ledger, new Date());
    const { reservedRanges, ...spec } = ledger.spec;
    const echoed = reservedRanges ?? (args.reservedRanges !== undefined && args.reservedRanges.length === 0 ? [] : undefined);
    return {
        ...spec,
        ...(echoed === undefined ? {} : { reservedRanges: echoed }),
        ...(args.acceptReservedOverlaps === undefined ? {} : { acceptReservedOverlaps: args.acceptReservedOverlaps }),
        ...(args.store === undefined ? {} : { store: args.store }),
        totalSubnets: figures.totalSubnets,
        availableSubnets: figures.availableSubnets,
        reservedSubnets: figures.reservedSubnets,
        totalSubnetsExact: figures.exact.totalSubnets,
        reservedSubnetsExact: figures.exact.reservedSubnets,
    };
}
