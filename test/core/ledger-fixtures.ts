import { expect } from "vitest";
import { allocate, AllocateValue, newLedger, SliceLedger } from "../../provider/core/ledger";
import { SliceSpecInput, sliceSpecSchema } from "../../provider/core/validation";

const EPOCH = Date.parse("2026-01-01T00:00:00Z");

/** A fixed instant `seconds` after an arbitrary epoch: tests never read the clock. */
export function at(seconds: number): Date {
    return new Date(EPOCH + seconds * 1000);
}

export function ledgerFor(spec: Partial<SliceSpecInput> = {}): SliceLedger {
    return newLedger(sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.1.0.0/16", ...spec }), at(0));
}

export function mustAllocate(ledger: SliceLedger, cluster: string, now: Date): { ledger: SliceLedger; value: AllocateValue } {
    const result = allocate(ledger, cluster, now);
    if (!result.ok) {
        expect.fail(result.issue.message);
    }
    return result;
}
