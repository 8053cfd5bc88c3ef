import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerStore } from "../../provider/store/ledger-store";
import { HostedIpam, HostedProvider, Props, startHostedIpam } from "./provider-host";

export interface ScenarioStore {
    /** The `store` input the resources get. */
    readonly input: Record<string, unknown>;
    /** A client of the same store, for out-of-band changes. */
    readonly client: LedgerStore;
}

/**
 * The provider scenarios every store must pass, through Pulumi's real
 * dynamic-provider host: one suite, run once per store kind.
 */
export function describeProviderScenarios(name: string, makeStore: () => Promise<ScenarioStore>): void {
    describe(`provider scenarios on the ${name}`, () => {
        let ipam: HostedIpam;
        let slices: HostedProvider;
        let allocations: HostedProvider;
        let store: ScenarioStore;
        const state: Record<string, Props> = {};

        beforeAll(async () => {
            store = await makeStore();
            ipam = await startHostedIpam();
            ({ slices, allocations } = ipam);
        }, 1_200_000);
        afterAll(async () => {
            await ipam?.close();
        });

        const allocationInputs = async (clusterName: string) =>
            (await allocations.check({}, { sliceName: "blue", clusterName, store: store.input })).inputs;

        it("registers the slice and allocates the guide's subnets in order", async () => {
            const { inputs, failures } = await slices.check({}, { sliceName: "blue", sliceSubnet: "10.2.0.0/16", store: store.input });
            expect(failures).toEqual([]);
            const slice = await slices.create(inputs);
            expect(slice.id).toBe("blue");
            expect(slice.properties).toMatchObject({ totalSubnets: 256, availableSubnets: 256, subnetSize: 24 });
            state.sliceInputs = inputs;
            state.slice = slice.properties;
            for (const [cluster, subnet] of [
                ["worker-1", "10.2.0.0/24"],
                ["worker-2", "10.2.1.0/24"],
            ]) {
                const created = await allocations.create(await allocationInputs(cluster));
                expect(created.id).toBe(`blue/${cluster}`);
                expect(created.properties).toMatchObject({ subnet, status: "Allocated", reused: false });
                state[cluster] = created.properties;
            }
        });

        it("diffs: no change, a replacement for a new pool, an update for settings", async () => {
            expect((await slices.diff("blue", state.slice, state.sliceInputs)).changes).toBe("none");
            expect((await allocations.diff("blue/worker-1", state["worker-1"], await allocationInputs("worker-1"))).changes).toBe("none");
            const moved = await slices.diff("blue", state.slice, { ...state.sliceInputs, sliceSubnet: "10.3.0.0/16" });
            expect([moved.replaces, moved.deleteBeforeReplace]).toEqual([["sliceSubnet"], true]);
            const settings = { ...state.sliceInputs, gracePeriodSeconds: 3600 };
            expect((await slices.diff("blue", state.slice, settings)).replaces).toEqual([]);
            const updated = await slices.update("blue", state.slice, settings);
            expect(updated.properties).toMatchObject({ gracePeriodSeconds: 3600, availableSubnets: 254 });
            state.slice = updated.properties;
            state.sliceInputs = settings;
        });

        it("refuses to delete the slice while clusters hold subnets", async () => {
            const refused = await slices.delete("blue", state.slice).then(
                () => "deleted",
                (error: Error) => error.message,
            );
            expect(refused).toContain('slice "blue" still has 2 active allocation(s): worker-1 (10.2.0.0/24), worker-2 (10.2.1.0/24)');
            expect((await slices.read("blue", state.slice)).id).toBe("blue");
        });

        it("releases on delete and hands the subnet back on rejoin", async () => {
            await allocations.delete("blue/worker-1", state["worker-1"]);
            expect((await allocations.read("blue/worker-1", state["worker-1"])).properties).toMatchObject({ status: "Released" });
            const back = await allocations.create(await allocationInputs("worker-1"));
            expect(back.properties).toMatchObject({ subnet: "10.2.0.0/24", reused: true, status: "Allocated" });
            state["worker-1"] = back.properties;
        });

        it("reports an allocation removed out of band as gone, and deletes idempotently", async () => {
            const loaded = (await store.client.load("blue"))!;
            const without = { ...loaded.ledger, allocations: loaded.ledger.allocations.filter((a) => a.clusterName !== "worker-2") };
            expect((await store.client.compareAndSwap("blue", loaded.version, without)).ok).toBe(true);
            expect((await allocations.read("blue/worker-2", state["worker-2"])).id).toBe("");
            await allocations.delete("blue/worker-2", state["worker-2"]);
            await allocations.delete("blue/worker-2", state["worker-2"]);
        });

        it("deletes the slice once no cluster holds a subnet", async () => {
            await allocations.delete("blue/worker-1", state["worker-1"]);
            await slices.delete("blue", state.slice);
            expect((await slices.read("blue", state.slice)).id).toBe("");
            await slices.delete("blue", state.slice);
        });
    });
}
