import { describe, expect, it } from "vitest";
import { DEFAULT_GATHER_MS, GATHER_MS_VARIABLE, gatherMsFrom } from "../../provider/store/kubernetes-gather";

describe("the Kubernetes store's gathering window", () => {
    it("is the default unless the environment sets a number of milliseconds, 0 to commit every change at once", () => {
        expect(gatherMsFrom({})).toBe(DEFAULT_GATHER_MS);
        expect(gatherMsFrom({ [GATHER_MS_VARIABLE]: " " })).toBe(DEFAULT_GATHER_MS);
        expect(gatherMsFrom({ [GATHER_MS_VARIABLE]: "0" })).toBe(0);
        expect(gatherMsFrom({ [GATHER_MS_VARIABLE]: "40" })).toBe(40);
    });

    it.each(["soon", "-1", "10001", "Infinity"])("refuses %j, saying what it takes", (text) => {
        expect(() => gatherMsFrom({ [GATHER_MS_VARIABLE]: text })).toThrow(
            expect.objectContaining({
                code: "gather-setting-invalid",
                message: expect.stringContaining(`${GATHER_MS_VARIABLE} must be a number of milliseconds from 0 to 10000`),
            }),
        );
    });
});
