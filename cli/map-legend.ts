import { MapCell, SubnetChange, SubnetRun, SubnetState } from "./map-layout";

/**
 * The one vocabulary of the map, shared by the terminal and the HTML report:
 * a letter per state and a sign per change, so colour is never the only
 * signal, and the words for each.
 */

export interface LegendItem {
    readonly letter: string;
    readonly label: string;
    readonly meaning: string;
}

export const STATE_LEGEND: Readonly<Record<SubnetState, LegendItem>> = {
    InUse: { letter: "U", label: "InUse", meaning: "allocated, and its worker reports connected app pods" },
    Allocated: { letter: "A", label: "Allocated", meaning: "allocated to a cluster" },
    Released: { letter: "R", label: "Released", meaning: "reserved for the cluster that left, until its grace period ends" },
    expired: { letter: "E", label: "Released, grace over", meaning: "still recorded; the next allocation returns it to the pool" },
    free: { letter: ".", label: "free", meaning: "available" },
};

export const CHANGE_LEGEND: Readonly<Record<SubnetChange | "both", LegendItem>> = {
    add: { letter: "+", label: "joins", meaning: "the change allocates it to a cluster" },
    release: { letter: "-", label: "released", meaning: "the change releases it; it stays reserved for its cluster for the grace period" },
    both: { letter: "*", label: "joins and released", meaning: "a block where the change does both" },
};

/** The note for lower-case letters, where cells are blocks. */
export const MIXED_NOTE = "lower case: a block only partly in that state (its most common one; the rest free or in other states)";

/** What a cell shows: a change sign, else its state's letter, in lower case when the block is mixed. */
export function glyphOf(cell: Pick<MapCell, "state" | "uniform" | "changes">): string {
    if (cell.changes.length > 0) {
        return CHANGE_LEGEND[cell.changes.length > 1 ? "both" : cell.changes[0]].letter;
    }
    const letter = STATE_LEGEND[cell.state].letter;
    return cell.uniform ? letter : letter.toLowerCase();
}

/** The change a cell is drawn for, if any. */
export function changeOf(cell: Pick<MapCell, "changes">): SubnetChange | "both" | undefined {
    return cell.changes.length === 0 ? undefined : cell.changes.length > 1 ? "both" : cell.changes[0];
}

/** The prefix of the aligned block a cell of `subnetsPerCell` subnets covers. */
export function cellPrefix(subnetSize: number, subnetsPerCell: number): number {
    return subnetSize - Math.log2(subnetsPerCell);
}

/** A subnet, pool or run with its IPv6 counterpart when a dual-stack slice has one: "10.1.2.0/24 and fd00:1:0:2::/64". */
export function withIpv6(text: string, ipv6: string | undefined): string {
    return ipv6 === undefined ? text : `${text} and ${ipv6}`;
}

/** A run's first and last subnets, with the IPv6 ones paired with them when there are. */
export function runSubnetsText(run: SubnetRun): string {
    const ipv6 = run.firstSubnetIpv6 === undefined ? undefined : `${run.firstSubnetIpv6} – ${run.lastSubnetIpv6}`;
    return withIpv6(`${run.firstSubnet} – ${run.lastSubnet}`, ipv6);
}
