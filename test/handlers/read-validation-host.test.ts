/**
 * `read` through Pulumi's real dynamic-provider host (a refresh): validated
 * like every other call, messages quoting at most ~100 characters of a value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostedIpam, startHostedIpam } from "../support/provider-host";
import { failureOf } from "../support/failure";

let ipam: HostedIpam;
beforeAll(async () => {
    ipam = await startHostedIpam();
});
afterAll(async () => {
    await ipam?.close();
});

describe("read through the host", () => {
    it("refuses a state whose store has an empty namespace or an unknown field, naming it", async () => {
        const empty = await failureOf(
            ipam.allocations.read("blue/w-1", { sliceName: "blue", clusterName: "w-1", store: { kind: "kubernetes", namespace: "" } }),
        );
        expect(empty?.message).toContain('store.namespace "" is not a valid DNS-1123 label');
        expect(empty?.message).toContain("nothing was written");
        const extra = await failureOf(
            ipam.slices.read("blue", { sliceName: "blue", store: { kind: "kubernetes", namespace: "ns", transientAttempts: 1e9 } }),
        );
        expect(extra?.message).toContain("transientAttempts");
    });

    it("a 1,000,000-character name answers with a short message", async () => {
        const huge = "a".repeat(1_000_000);
        const error = await failureOf(ipam.allocations.read(`${huge}/w-1`, { sliceName: huge, clusterName: "w-1" }));
        expect(error!.message.length).toBeLessThan(1_000);
        expect(error!.message).toContain(`sliceName "${"a".repeat(100)}"… (1000000 characters) is not a valid DNS-1123 label`);
    });
});
