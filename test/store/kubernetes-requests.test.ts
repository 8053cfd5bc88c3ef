import { describe, expect, it } from "vitest";
import { DEFAULT_TRANSIENT_RETRY, RETRY_SECONDS_VARIABLE, transientRetryFrom } from "../../provider/store/kubernetes-requests";

describe("the Kubernetes store's retry window", () => {
    it("is 30 s for lost connections and server errors, 10 s for unserved 404s, unless the operator says otherwise", () => {
        expect(transientRetryFrom({}, undefined)).toEqual({ ...DEFAULT_TRANSIENT_RETRY, attempts: undefined });
        expect(DEFAULT_TRANSIENT_RETRY).toEqual({ windowMs: 30_000, unservedWindowMs: 10_000 });
        expect(transientRetryFrom({ [RETRY_SECONDS_VARIABLE]: "120" }, undefined)).toEqual({
            windowMs: 120_000,
            unservedWindowMs: 10_000,
            attempts: undefined,
        });
        expect(transientRetryFrom({ [RETRY_SECONDS_VARIABLE]: "2" }, 3)).toEqual({ windowMs: 2_000, unservedWindowMs: 2_000, attempts: 3 });
    });

    it("refuses a value that is not a number of seconds, naming the variable", () => {
        for (const value of ["soon", "-1", "NaN"]) {
            expect(() => transientRetryFrom({ [RETRY_SECONDS_VARIABLE]: value }, undefined)).toThrow(
                `${RETRY_SECONDS_VARIABLE} must be a number of seconds, e.g. 30, not ${JSON.stringify(value)}`,
            );
        }
    });
});
