/**
 * `read` (refresh, import) validates its id and properties like every other
 * call, and messages quote at most ~100 characters of a value (issue 27, item 6).
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as handlers from "../../provider/handlers";
import { quoted } from "../../provider/core/issues";
import { KubesliceIpamProvider } from "../../native/provider";
import { makeTempDir } from "../support/temp-dir";
import { failureOf } from "../support/failure";

const ALLOCATION_URN = "urn:pulumi:dev::team::kubeslice-ipam:index:SubnetAllocation::blue-w-1";
const huge = "a".repeat(1_000_000);

let temp: ReturnType<typeof makeTempDir>;
let store: { kind: "file"; directory: string };
beforeEach(() => {
    temp = makeTempDir();
    store = { kind: "file", directory: path.join(temp.dir, "store") };
});
afterEach(() => temp.remove());

describe("read validates like every other call", () => {
    it("an import id without '/' is refused with the id's form, not a TypeError", async () => {
        const error = await failureOf(new KubesliceIpamProvider("0.1.0").read("blue", ALLOCATION_URN, {}));
        expect(error).toBeInstanceOf(Error);
        expect(error!.name).toBe("Error");
        expect(error!.message).toBe(
            'import id "blue": a SubnetAllocation\'s id is <slice>/<cluster> (e.g. "blue/worker-1"), optionally followed by ' +
                "@file:<directory> or @kubernetes:<namespace>; use that form and run again",
        );
    });

    it.each([
        ["an empty namespace", { kind: "kubernetes", namespace: "" }, 'store: store.namespace "" is not a valid DNS-1123 label'],
        ["transientAttempts", { kind: "kubernetes", namespace: "ns", transientAttempts: 1e9 }, "transientAttempts"],
        ["a relative-to-nothing empty directory", { kind: "file", directory: "" }, "store.directory must not be empty"],
    ])("a store with %s is refused before any store is opened, naming it", async (_what, badStore, reason) => {
        for (const call of [
            () => handlers.sliceIpam.read("blue", { sliceName: "blue", store: badStore }),
            () => handlers.subnetAllocation.read("blue/w-1", { sliceName: "blue", clusterName: "w-1", store: badStore }),
        ]) {
            const error = await failureOf(call());
            expect(error?.name).toBe("InvalidInputsError");
            expect(error?.message).toContain(reason);
        }
    });

    it("an invalid slice id or cluster name is refused, and nothing is created", async () => {
        const slice = await failureOf(handlers.sliceIpam.read("../blue", { store }));
        expect(slice?.message).toContain('sliceName "../blue" is not a valid DNS-1123 label');
        const allocation = await failureOf(handlers.subnetAllocation.read("blue/W_1", { sliceName: "blue", clusterName: "W_1", store }));
        expect(allocation?.message).toContain('clusterName "W_1" is not a valid DNS-1123 label');
        expect(existsSync(store.directory)).toBe(false);
    });

    it("a 1,000,000-character name makes a short message, quoting ~100 characters with its length", async () => {
        for (const call of [
            () => handlers.sliceIpam.read(huge, { store }),
            () => handlers.subnetAllocation.read(`${huge}/w-1`, { sliceName: huge, clusterName: "w-1", store }),
            () => handlers.sliceIpam.create({ sliceName: huge, sliceSubnet: "10.1.0.0/16", store }),
            () => handlers.subnetAllocation.create({ sliceName: "blue", clusterName: huge, store }),
        ]) {
            const error = await failureOf(call());
            expect(error?.name).toBe("InvalidInputsError");
            expect(error!.message.length).toBeLessThan(1_000);
            expect(error!.message).toContain(`"${"a".repeat(100)}"… (1000000 characters)`);
        }
    });
});

describe("quoted", () => {
    it.each([
        ["blue", '"blue"'],
        [42, "42"],
        [undefined, "undefined"],
        ["x".repeat(100), `"${"x".repeat(100)}"`],
        ["x".repeat(101), `"${"x".repeat(100)}"… (101 characters)`],
    ])("quotes %j as %s", (value, expected) => {
        expect(quoted(value)).toBe(expected);
    });
});
