import { ERROR_MESSAGES } from "../core/error-codes";
import { overlappingSlice, SliceLedger } from "../core/ledger";
import { LedgerStore } from "../store/ledger-store";
import { IpamError } from "./errors";
import { sliceOverlap } from "./slices";

export interface CopyReport {
    /** Slices written to the target store. */
    readonly copied: readonly string[];
    /** Slices the target already held, identical. */
    readonly alreadyPresent: readonly string[];
}

/**
 * Copies slice ledgers, allocations and counters included, from one store to
 * another: how a file-store ledger moves into the cluster. The source is left
 * as it was (keep it as a backup). A slice the target holds differently, or a
 * pool overlapping another slice of the target, is refused before anything is
 * written for it.
 */
export async function copyLedgers(from: LedgerStore, to: LedgerStore, sliceNames?: readonly string[]): Promise<CopyReport> {
    const sources = (await from.list()).map((entry) => entry.ledger);
    await to.initialize?.();
    const wanted = sliceNames === undefined ? sources : sliceNames.map((name) => findSource(sources, name, from));
    const copied: string[] = [];
    const alreadyPresent: string[] = [];
    for (const ledger of wanted) {
        const name = ledger.spec.sliceName;
        const existing = (await to.load(name))?.ledger;
        if (existing !== undefined) {
            if (!sameContents(existing, ledger)) {
                throw new IpamError(
                    "slice-spec-mismatch",
                    ERROR_MESSAGES["slice-spec-mismatch"]({ kind: "copy-differs", sliceName: name, store: to.description, from: from.description }),
                );
            }
            alreadyPresent.push(name);
            continue;
        }
        const clash = overlappingSlice(
            ledger.spec,
            (await to.list()).map((other) => other.ledger.spec),
        );
        if (clash !== undefined) {
            throw IpamError.fromIssue(sliceOverlap(ledger.spec, clash, to.description, true));
        }
        const written = await to.compareAndSwap(name, undefined, ledger);
        if (!written.ok) {
            throw new IpamError(
                "slice-spec-mismatch",
                ERROR_MESSAGES["slice-spec-mismatch"]({ kind: "copy-raced", sliceName: name, store: to.description }),
            );
        }
        copied.push(name);
    }
    return { copied, alreadyPresent };
}

function findSource(sources: readonly SliceLedger[], name: string, from: LedgerStore): SliceLedger {
    const found = sources.find((ledger) => ledger.spec.sliceName === name);
    if (found === undefined) {
        throw new IpamError("slice-not-registered", `slice "${name}" is not registered in ${from.description}; nothing was copied`);
    }
    return found;
}

function sameContents(a: SliceLedger, b: SliceLedger): boolean {
    return JSON.stringify([a.spec, a.allocations]) === JSON.stringify([b.spec, b.allocations]);
}
