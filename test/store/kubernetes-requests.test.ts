import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { DEFAULT_TRANSIENT_RETRY, KubernetesRequests, RETRY_SECONDS_VARIABLE, transientRetryFrom } from "../../provider/store/kubernetes-requests";

const client = require("@kubernetes/client-node") as typeof k8s;

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

describe("the code of a request the API server refused or never answered", () => {
    const requests = new KubernetesRequests(client, "Kubernetes store test", { windowMs: 60_000, unservedWindowMs: 0, attempts: 2 });
    const refusal = (status: number, message: string) => new client.ApiException(status, "refused", JSON.stringify({ kind: "Status", message }), {});
    const failureOf = (error: unknown) => requests.call("list slices", () => Promise.reject(error)).catch((thrown: unknown) => thrown);

    it.each([
        [403, "sliceipams is forbidden", "store-request-denied"],
        [401, "Unauthorized", "store-request-denied"],
        [413, "too large", "ledger-too-large"],
        [422, "spec.x: Invalid value", "store-request-failed"],
        [503, "etcdserver: leader changed", "store-unreachable"],
    ])("HTTP %i: %s is %s, the ApiException kept as its cause", async (status, message, code) => {
        const cause = refusal(status, message);
        const error = await failureOf(cause);
        expect(error).toMatchObject({ code, cause });
        expect((error as Error).message).toContain(`Kubernetes store test: cannot list slices`);
        expect(requests.isCode(error, status)).toBe(true);
    });

    it("a lost connection is store-unreachable", async () => {
        const error = await failureOf(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }));
        expect(error).toMatchObject({ code: "store-unreachable" });
    });

    it("leaves a Status 404 and a 409 to the caller, as the ApiException itself", async () => {
        for (const status of [404, 409]) {
            const cause = refusal(status, "x");
            expect(await failureOf(cause)).toBe(cause);
        }
    });

    it("raises an invalid retry setting with its code", () => {
        expect(() => transientRetryFrom({ [RETRY_SECONDS_VARIABLE]: "soon" }, undefined)).toThrow(
            expect.objectContaining({ code: "retry-setting-invalid" }),
        );
    });
});
