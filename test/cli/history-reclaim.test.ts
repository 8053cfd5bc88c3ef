/**
 * `slice-ipam history` and `slice-ipam reclaim` as operators run them: the
 * built command as a child process on a real file store, checked by exit
 * code, output and what the store holds afterwards.
 */
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HistoryEvent } from "../../provider/core/history";
import { sliceSpecSchema } from "../../provider/core/validation";
import { allocateSubnet, releaseSubnet } from "../../provider/service/allocations";
import { registerSlice } from "../../provider/service/slices";
import { FileLedgerStore } from "../../provider/store/file-store";
import { runCli } from "../support/cli-process";
import { makeTempDir } from "../support/temp-dir";

let project: ReturnType<typeof makeTempDir>;
let store: FileLedgerStore;
// Near the real time: reclaim decides with the real clock.
const hoursAgo = (hours: number) => () => new Date(Date.now() - hours * 3_600_000);

beforeEach(async () => {
    project = makeTempDir("slice-ipam-reclaim-");
    store = new FileLedgerStore(path.join(project.dir, ".slice-ipam"));
    // Grace period 1 h: "old" left 3 h ago (expired), "recent" 10 min ago (in grace), "active" holds its subnet.
    await registerSlice(store, sliceSpecSchema.parse({ sliceName: "blue", sliceSubnet: "10.7.0.0/16", gracePeriodSeconds: 3_600 }), hoursAgo(5));
    for (const cluster of ["old", "recent", "active"]) {
        await allocateSubnet(store, "blue", cluster, hoursAgo(4));
    }
    await releaseSubnet(store, "blue", "old", hoursAgo(3));
    await releaseSubnet(store, "blue", "recent", hoursAgo(1 / 6));
});
afterEach(() => project.remove());

const sliceIpam = (args: readonly string[]) => runCli(args, project.dir, { ...process.env, PULUMI_PROJECT: "" });
const statusOf = async (cluster: string) => (await store.load("blue"))!.ledger.allocations.find((entry) => entry.clusterName === cluster)?.status;
const historyOf = async (): Promise<readonly HistoryEvent[]> => (await store.load("blue"))!.ledger.history ?? [];

describe("slice-ipam reclaim", () => {
    it("--dry-run lists the expired Released subnets and writes nothing", async () => {
        const run = await sliceIpam(["reclaim", "--dry-run"]);
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^SLICE\s+CLUSTER\s+SUBNET\s+RELEASED\s+GRACE ENDS\nblue\s+old\s+10\.7\.0\.0\/24\s/);
        expect(run.stdout).not.toContain("recent");
        expect(await statusOf("old")).toBe("Released");
    });

    it("frees every Released subnet past its grace period, records it with the command, and then has nothing left", async () => {
        const run = await sliceIpam(["reclaim", "blue", "-o", "json"]);
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ dryRun: false, reclaimed: [{ slice: "blue", clusterName: "old", subnet: "10.7.0.0/24" }] });
        expect(await statusOf("old")).toBeUndefined();
        expect(await statusOf("recent")).toBe("Released");
        expect((await historyOf()).at(-1)).toMatchObject({
            action: "reclaimed",
            clusterName: "old",
            actor: { via: "cli", command: "reclaim blue -o json" },
        });
        const again = await sliceIpam(["reclaim"]);
        expect(again.code).toBe(0);
        expect(again.stderr).toBe("nothing to reclaim: no Released subnet is past its grace period\n");
    });

    it("--cluster c --now without --yes shows what it would free, frees nothing and exits 2", async () => {
        const run = await sliceIpam(["reclaim", "blue", "--cluster", "recent", "--now"]);
        expect(run.code).toBe(2);
        expect(run.stdout).toMatch(/blue\s+recent\s+10\.7\.1\.0\/24/);
        expect(run.stderr).toContain('nothing reclaimed: cluster "recent" would no longer get 10.7.1.0/24 back on rejoin; add --yes to reclaim it');
        expect(await statusOf("recent")).toBe("Released");
    });

    it("--cluster c --now --yes frees a subnet in its grace period, recorded as reclaimed early", async () => {
        const run = await sliceIpam(["reclaim", "blue", "--cluster", "recent", "--now", "--yes"]);
        expect(run.code).toBe(0);
        expect(await statusOf("recent")).toBeUndefined();
        expect((await historyOf()).at(-1)).toMatchObject({ action: "reclaimed-early", clusterName: "recent", from: "Released", to: "Available" });
        // Both freed subnets are free again: "old"'s expired one (lowest, reclaimed on the way), then the one just freed.
        expect((await allocateSubnet(store, "blue", "next-1")).allocation.subnet).toBe("10.7.0.0/24");
        expect((await allocateSubnet(store, "blue", "next-2")).allocation.subnet).toBe("10.7.1.0/24");
    });

    it.each([
        [
            ["reclaim", "blue", "--cluster", "active", "--now", "--yes"],
            2,
            'cluster "active" holds 10.7.2.0/24 in slice "blue" as Allocated, not Released',
        ],
        [["reclaim", "blue", "--cluster", "nobody", "--now", "--yes"], 2, 'slice "blue" holds no subnet for cluster "nobody": nothing to reclaim'],
        [["reclaim", "blue", "--cluster", "recent"], 2, "add --now"],
        [["reclaim", "--cluster", "recent", "--now"], 2, "--cluster needs the slice it is in"],
        [["reclaim", "blue", "--now"], 2, "--now reclaims one cluster's subnet before its grace period ends and needs --cluster"],
        [["reclaim", "blue", "--now", "2025-01-01T00:00:00Z"], 2, "--now takes no time here"],
        [["reclaim", "green"], 4, 'slice "green" is not registered'],
        [["show", "blue", "--now"], 2, "--now needs an ISO-8601 time"],
    ])("refuses %j with exit %i, changing nothing", async (args, code, message) => {
        const before = await store.load("blue");
        const run = await sliceIpam(args);
        expect(run.code).toBe(code);
        expect(run.stderr).toContain(message);
        expect((await store.load("blue"))!.version).toBe(before!.version);
    });
});

describe("slice-ipam history", () => {
    it("lists the slice's changes with who made them, filtered by cluster and time", async () => {
        const table = await sliceIpam(["history", "blue"]);
        expect(table.code).toBe(0);
        const lines = table.stdout.trimEnd().split("\n");
        expect(lines[0]).toMatch(/^TIME\s+ACTION\s+CLUSTER\s+SUBNET\s+STATUS\s+BY\s+DETAIL$/);
        expect(lines.slice(1).map((line) => line.split(/\s{3,}/).slice(1, 3))).toEqual([
            ["registered", "-"],
            ["allocated", "old"],
            ["allocated", "recent"],
            ["allocated", "active"],
            ["released", "old"],
            ["released", "recent"],
        ]);
        expect(lines[1]).toContain("library (");
        const json = await sliceIpam(["history", "blue", "--cluster", "old", "-o", "json"]);
        expect(JSON.parse(json.stdout).events.map((event: HistoryEvent) => event.action)).toEqual(["allocated", "released"]);
        const recent = await sliceIpam(["history", "blue", "--since", "2h", "-o", "json"]);
        expect(JSON.parse(recent.stdout).events.map((event: HistoryEvent) => event.clusterName)).toEqual(["recent"]);
    });

    it("refuses a bad --since and an unknown slice", async () => {
        const since = await sliceIpam(["history", "blue", "--since", "yesterday"]);
        expect(since.code).toBe(2);
        expect(since.stderr).toContain('--since "yesterday" is not an ISO-8601 time or a duration such as 90m, 24h, 7d');
        const unknown = await sliceIpam(["history", "green"]);
        expect(unknown.code).toBe(4);
    });
});
