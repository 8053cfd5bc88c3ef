import { ERROR_MESSAGES } from "../core/error-codes";
import { Issue, issueOf } from "../core/issues";
import {
    isActive,
    newLedger,
    overlappingSlice,
    overlappingSubnets,
    reservedOverlapsWithHeld,
    sameReservedRanges,
    SliceLedger,
    withSettings,
} from "../core/ledger";
import { SliceSpec } from "../core/validation";
import { poolChange, withIpv6Pool, withoutIpv6Pool } from "../core/dual-stack";
import { sameAllocations } from "../core/same-allocation";
import { LedgerStore, StoreNotFoundError } from "../store/ledger-store";
import { updateLedger } from "../store/update-ledger";
import { IpamError } from "./errors";

/** Where the services read the time; tests pass a fixed one. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** How a settings change treats reserved ranges added over held subnets. */
export interface SettingsOptions {
    /** Let holders keep subnets a newly added reserved range covers, instead of refusing the change. */
    readonly acceptReservedOverlaps?: boolean;
}

export interface RegisterResult {
    readonly ledger: SliceLedger;
    /** False when an identical slice was already registered (idempotent). */
    readonly created: boolean;
}

/**
 * Registers a slice, or adopts an existing registration with the same pool
 * (its grace period and cluster limit are updated to `spec`). A different pool
 * under the same name, or a pool overlapping another slice in the store, is
 * refused.
 */
export async function registerSlice(
    store: LedgerStore,
    spec: SliceSpec,
    clock: Clock = systemClock,
    options: SettingsOptions = {},
): Promise<RegisterResult> {
    await store.initialize?.();
    await refuseOverlaps(store, spec);
    let poolAdded = false;
    const registered = await updateLedger(store, spec.sliceName, (current): { ledger: SliceLedger; result: RegisterResult; at?: Date } => {
        if (current === undefined) {
            const now = clock();
            const ledger = newLedger(spec, now);
            return { ledger, result: { ledger, created: true }, at: now };
        }
        poolAdded = poolChange(current.spec, spec) === "ipv6-pool-added";
        const ledger = applySettings(current, spec, clock(), options, store.description);
        return { ledger, result: { ledger, created: false } };
    });
    if (registered.created) {
        await settleRegistrationRace(store, registered.ledger);
    } else if (poolAdded) {
        await settlePoolAdditionRace(store, registered.ledger);
    }
    return registered;
}

/**
 * Updates the settings that may change in place (grace period, cluster
 * limit, reserved ranges, and once, an IPv6 pool added to an IPv4 slice). A reserved range added over subnets clusters hold
 * is refused unless `options.acceptReservedOverlaps`.
 */
export async function updateSliceSettings(
    store: LedgerStore,
    spec: SliceSpec,
    options: SettingsOptions = {},
    clock: Clock = systemClock,
): Promise<SliceLedger> {
    const registered = spec.sliceSubnetIpv6 === undefined ? undefined : await loadSlice(store, spec.sliceName);
    if (registered !== undefined && poolChange(registered.spec, spec) === "ipv6-pool-added") {
        await refuseOverlaps(store, spec); // the new pool, like any pool, must overlap no other slice's
    }
    let poolAdded = false;
    const updated = await updateLedger(store, spec.sliceName, (current) => {
        if (current === undefined) {
            throw notRegistered(store, spec.sliceName, "run `pulumi refresh`, then `pulumi up` to register it again");
        }
        poolAdded = poolChange(current.spec, spec) === "ipv6-pool-added";
        const ledger = applySettings(current, spec, clock(), options, store.description);
        return { ledger, result: ledger };
    });
    if (poolAdded) {
        await settlePoolAdditionRace(store, updated);
    }
    return updated;
}

/**
 * Removes a slice's ledger. Refused while any cluster holds an active subnet;
 * Released entries go with the slice. Already gone counts as success.
 */
export async function unregisterSlice(store: LedgerStore, sliceName: string): Promise<void> {
    await updateLedger(store, sliceName, (current) => {
        if (current === undefined) {
            return { ledger: undefined, result: undefined };
        }
        const active = current.allocations.filter(isActive);
        if (active.length > 0) {
            const holders = active.map((entry) => `${entry.clusterName} (${entry.subnet})`).join(", ");
            throw new IpamError(
                "slice-has-active-allocations",
                `slice "${sliceName}" still has ${active.length} active allocation(s): ${holders}. Remove those ` +
                    `clusters from the slice first. To move to a different sliceSubnet or subnetSize, create a new ` +
                    `slice with a new name, move the clusters to it, then delete this one.`,
            );
        }
        return { ledger: undefined, result: undefined };
    });
}

/** The slice's ledger, or undefined when it is not registered. */
export async function loadSlice(store: LedgerStore, sliceName: string): Promise<SliceLedger | undefined> {
    return (await store.load(sliceName))?.ledger;
}

/**
 * For plans of a slice that the program itself registers (previews, checks
 * of a requested subnet): a store that does not exist yet holds no slice.
 * Reads of what exists (refresh, allocation) use {@link loadSlice}, which fails.
 */
export async function loadSliceToPlan(store: LedgerStore, sliceName: string): Promise<SliceLedger | undefined> {
    try {
        return store.loadToPlan === undefined ? await loadSlice(store, sliceName) : (await store.loadToPlan(sliceName))?.ledger;
    } catch (error) {
        if (error instanceof StoreNotFoundError) {
            return undefined;
        }
        throw error;
    }
}

export function notRegistered(store: LedgerStore, sliceName: string, next: string): IpamError {
    return new IpamError("slice-not-registered", `slice "${sliceName}" is not registered in ${store.description}; ${next}`);
}

/**
 * The settings of `spec` applied to the registered slice: its pools must be
 * the same, but for the one change allowed in place, an IPv6 pool added to an
 * IPv4 slice (every cluster keeps its index and gets the IPv6 subnet there).
 * The pool is added first, so reserved ranges added with it are checked
 * against the clusters' IPv6 subnets as any added range is.
 */
function applySettings(current: SliceLedger, given: SliceSpec, now: Date, options: SettingsOptions, store: string): SliceLedger {
    const change = poolChange(current.spec, given);
    if (change === "different") {
        throw new IpamError(
            "slice-spec-mismatch",
            ERROR_MESSAGES["slice-spec-mismatch"]({ kind: "pool", sliceName: given.sliceName, store, registered: current.spec, requested: given }),
        );
    }
    const withPool = change === "ipv6-pool-added" ? addIpv6Pool(current, given, now) : current;
    return applyMutableSettings(withPool, given, now, options);
}

function addIpv6Pool(current: SliceLedger, spec: SliceSpec, now: Date): SliceLedger {
    const added = withIpv6Pool(current, { sliceSubnetIpv6: spec.sliceSubnetIpv6!, subnetSizeIpv6: spec.subnetSizeIpv6! }, now);
    if (!added.ok) {
        throw IpamError.fromIssue(added.issue);
    }
    return added.ledger;
}

function applyMutableSettings(current: SliceLedger, spec: SliceSpec, now: Date, options: SettingsOptions): SliceLedger {
    const unchanged =
        current.spec.gracePeriodSeconds === spec.gracePeriodSeconds &&
        current.spec.maxClusters === spec.maxClusters &&
        sameReservedRanges(current.spec.reservedRanges, spec.reservedRanges);
    if (unchanged) {
        return current;
    }
    const overlaps = options.acceptReservedOverlaps === true ? [] : reservedOverlapsWithHeld(current, spec.reservedRanges, now);
    if (overlaps.length > 0) {
        throw IpamError.fromIssue(overlaps[0]);
    }
    const { gracePeriodSeconds, maxClusters, reservedRanges } = spec;
    return withSettings(current, { gracePeriodSeconds, maxClusters, reservedRanges });
}

async function refuseOverlaps(store: LedgerStore, spec: SliceSpec): Promise<void> {
    const other = overlappingSlice(
        spec,
        (await store.list()).map(({ ledger }) => ledger.spec),
    );
    if (other !== undefined) {
        throw IpamError.fromIssue(sliceOverlap(spec, other, store.description, false));
    }
}

/** The issue for a pool that overlaps another slice's in `store`. */
export function sliceOverlap(spec: SliceSpec, other: SliceSpec, store: string, copying: boolean): Issue<"slice-overlap"> {
    // A dual-stack slice has two pools: name the ones that overlap.
    const [sliceSubnet, otherSliceSubnet] = overlappingSubnets(spec, other) ?? [spec.sliceSubnet, other.sliceSubnet];
    return issueOf({
        code: "slice-overlap",
        sliceName: spec.sliceName,
        sliceSubnet,
        otherSliceName: other.sliceName,
        otherSliceSubnet,
        store,
        copying,
    });
}

/**
 * Two overlapping slices registered at the same moment by different machines
 * both pass the first check. Afterwards each looks again and withdraws its own
 * registration if any overlapping slice exists. Whoever looks last sees the
 * other, so two overlapping slices never both remain; in the rare case both
 * look after both wrote, both withdraw and both callers are told to retry.
 */
async function settleRegistrationRace(store: LedgerStore, ours: SliceLedger): Promise<void> {
    try {
        await refuseOverlaps(store, ours.spec);
    } catch (error) {
        await updateLedger(store, ours.spec.sliceName, (current) => {
            const stillOurs = current?.registeredAt === ours.registeredAt && current.allocations.length === 0;
            return { ledger: stillOurs ? undefined : current, result: undefined };
        });
        throw error;
    }
}

/**
 * The same race for an IPv6 pool added to a slice while another slice took
 * an overlapping pool: each looks again after its write, and one that finds
 * an overlap withdraws its pool — while its ledger is still as that write
 * left it (its clusters' IPv6 subnets then were never handed out by an
 * acknowledged change but this one, which fails). If clusters changed
 * meanwhile, the pool stays and the error says so.
 */
async function settlePoolAdditionRace(store: LedgerStore, ours: SliceLedger): Promise<void> {
    try {
        await refuseOverlaps(store, ours.spec);
    } catch (error) {
        const withdrawn = await updateLedger(store, ours.spec.sliceName, (current) => {
            const untouched =
                current !== undefined &&
                sameAllocations(current.allocations, ours.allocations) &&
                current.spec.sliceSubnetIpv6 === ours.spec.sliceSubnetIpv6;
            return untouched ? { ledger: withoutIpv6Pool(current), result: true } : { ledger: current, result: false };
        });
        if (withdrawn) {
            throw error;
        }
        throw new IpamError(
            "slice-overlap",
            `${(error as Error).message}; another slice took an overlapping IPv6 pool while this one's was added, and clusters of ` +
                `slice "${ours.spec.sliceName}" changed since, so its IPv6 pool was kept: remove the other slice's pool`,
        );
    }
}
