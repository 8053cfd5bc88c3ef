import { afterEach, describe, expect, it } from "vitest";
import { historyActor, historyBounds, pulumiActorOfUrn, withHistoryActor } from "../../provider/store/history-context";

const saved = { ...process.env };
afterEach(() => {
    process.env = { ...saved };
});

describe("history actor", () => {
    it("is the Pulumi project the engine gives a provider process, else the library, always with user and host", () => {
        expect(historyActor({ PULUMI_PROJECT: "platform" })).toMatchObject({ via: "pulumi", project: "platform" });
        expect(historyActor({ PULUMI_PROJECT: "platform", PULUMI_STACK: "prod" })).toMatchObject({ stack: "prod" });
        const library = historyActor({});
        expect(library.via).toBe("library");
        expect(typeof library.host).toBe("string");
    });

    it("is the scope's actor inside withHistoryActor, across awaits, and not outside it", async () => {
        const inside = await withHistoryActor({ via: "cli", command: "reclaim blue" }, async () => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            return historyActor({});
        });
        expect(inside).toMatchObject({ via: "cli", command: "reclaim blue" });
        expect(historyActor({}).via).toBe("library");
    });

    it("reads project and stack from a URN", () => {
        expect(pulumiActorOfUrn("urn:pulumi:prod::platform::kubeslice-ipam:index:SliceIpam::blue", {})).toEqual({
            via: "pulumi",
            organization: undefined,
            project: "platform",
            stack: "prod",
        });
    });
});

describe("history bounds", () => {
    it("default to 1,000 events and 90 days, and take whole numbers from the environment", () => {
        expect(historyBounds({})).toEqual({ maxEvents: 1_000, maxAgeSeconds: 90 * 86_400 });
        expect(historyBounds({ KUBESLICE_IPAM_HISTORY_MAX_EVENTS: "50", KUBESLICE_IPAM_HISTORY_MAX_AGE_DAYS: "7" })).toEqual({
            maxEvents: 50,
            maxAgeSeconds: 7 * 86_400,
        });
    });

    it("refuse a value that is not a whole number of at least 1, saying what would do", () => {
        expect(() => historyBounds({ KUBESLICE_IPAM_HISTORY_MAX_EVENTS: "0" })).toThrow(
            'KUBESLICE_IPAM_HISTORY_MAX_EVENTS must be a whole number of at least 1, e.g. 1000, not "0"',
        );
        expect(() => historyBounds({ KUBESLICE_IPAM_HISTORY_MAX_AGE_DAYS: "lots" })).toThrow("KUBESLICE_IPAM_HISTORY_MAX_AGE_DAYS");
    });
});
