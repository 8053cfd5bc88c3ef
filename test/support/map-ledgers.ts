/**
 * Ledgers for the map and report tests, built with the core's own
 * operations at fixed times, so every state is known in advance.
 */
import { allocate, markInUse, newLedger, release, SliceLedger } from "../../provider/core/ledger";
import { SliceSpecInput, sliceSpecSchema } from "../../provider/core/validation";

/** The time the maps are drawn at. */
export const MAP_NOW = new Date("2026-03-01T12:00:00Z");

const minutesBefore = (minutes: number) => new Date(MAP_NOW.getTime() - minutes * 60_000);

function mustAllocate(ledger: SliceLedger, cluster: string, at: Date, requestedIndex?: number): SliceLedger {
    const result = allocate(ledger, cluster, at, requestedIndex === undefined ? {} : { requestedIndex });
    if (!result.ok) {
        throw new Error(result.issue.message);
    }
    return result.ledger;
}

function mustMarkInUse(ledger: SliceLedger, cluster: string): SliceLedger {
    const result = markInUse(ledger, cluster);
    if (!result.ok) {
        throw new Error(result.issue.message);
    }
    return result.ledger;
}

export function emptyLedger(spec: Partial<SliceSpecInput> & Pick<SliceSpecInput, "sliceName" | "sliceSubnet">): SliceLedger {
    return newLedger(sliceSpecSchema.parse({ gracePeriodSeconds: 3600, ...spec }), minutesBefore(24 * 60));
}

/**
 * Slice "known": 10.9.0.0/20 in /24s, 16 subnets, one of each state at
 * known places. At MAP_NOW the pool reads, subnet by subnet:
 * {@link KNOWN_GLYPHS}.
 */
export function knownLedger(): SliceLedger {
    let ledger = emptyLedger({ sliceName: "known", sliceSubnet: "10.9.0.0/20", subnetSize: 24 });
    const placed: [string, number][] = [
        ["c-0", 0],
        ["c-1", 1],
        ["c-2", 2],
        ["c-3", 3],
        ["c-5", 5],
        ["c-6", 6],
        ["c-12", 12],
    ];
    for (const [cluster, index] of placed) {
        ledger = mustAllocate(ledger, cluster, minutesBefore(600), index);
    }
    ledger = mustMarkInUse(mustMarkInUse(ledger, "c-0"), "c-6");
    // Grace is an hour: c-2 left 10 minutes ago (reserved), c-3 two hours ago (expired).
    ledger = release(ledger, "c-2", minutesBefore(10)).ledger;
    ledger = release(ledger, "c-3", minutesBefore(120)).ledger;
    return ledger;
}

/** The states of slice "known", one letter per subnet (as `map` and the report draw them). */
export const KNOWN_GLYPHS = "UARE.AU.....A...";
export const KNOWN_STATES = [
    "InUse",
    "Allocated",
    "Released",
    "expired",
    "free",
    "Allocated",
    "InUse",
    "free",
    "free",
    "free",
    "free",
    "free",
    "Allocated",
    "free",
    "free",
    "free",
];

/**
 * Slice "blue" as the docs show it: 10.2.0.0/16 in /24s (256 subnets), 60
 * clusters joined over two weeks, a third of them InUse, a few gone (some
 * still reserved, two expired), and a pinned group from a migration at .160.
 */
export function exampleLedger(): SliceLedger {
    let ledger = emptyLedger({ sliceName: "blue", sliceSubnet: "10.2.0.0/16", subnetSize: 24, gracePeriodSeconds: 86_400 });
    for (let i = 0; i < 48; i++) {
        ledger = mustAllocate(ledger, `worker-${i + 1}`, minutesBefore(20_000 - i * 300));
    }
    for (let i = 0; i < 12; i++) {
        ledger = mustAllocate(ledger, `edge-${i + 1}`, minutesBefore(9_000 - i * 60), 160 + i);
    }
    for (let i = 0; i < 60; i += 3) {
        ledger = mustMarkInUse(ledger, i < 48 ? `worker-${i + 1}` : `edge-${i - 47}`);
    }
    for (const [cluster, minutes] of [
        ["worker-7", 300],
        ["worker-8", 290],
        ["worker-22", 60],
        ["worker-31", 2000],
        ["edge-5", 30],
        ["worker-40", 1900],
    ] as const) {
        ledger = release(ledger, cluster, minutesBefore(minutes)).ledger;
    }
    return ledger;
}

/**
 * The issue's large case: 4,096 clusters in a /12 of /26s (16,384 subnets),
 * so the report's grid draws blocks of 4; every fourth cluster InUse, every
 * tenth released (reserved).
 */
export function largeLedger(): SliceLedger {
    let ledger = emptyLedger({ sliceName: "large", sliceSubnet: "10.16.0.0/12", subnetSize: 26, maxClusters: 4096, gracePeriodSeconds: 86_400 });
    const joined = minutesBefore(600);
    for (let i = 0; i < 4096; i++) {
        // Spread over the pool: 256 groups of 16 clusters, each at the start of its own /20 (64 subnets).
        ledger = mustAllocate(ledger, `c-${i}`, joined, Math.floor(i / 16) * 64 + (i % 16));
    }
    for (let i = 0; i < 4096; i += 4) {
        ledger = mustMarkInUse(ledger, `c-${i}`);
    }
    for (let i = 0; i < 4096; i += 10) {
        ledger = release(ledger, `c-${i}`, minutesBefore(30)).ledger;
    }
    return ledger;
}

/**
 * Slice "duo", dual-stack: 10.9.0.0/20 in /24s paired with fd00:9::/60 in
 * /64s, 16 indexes; c-0 holds index 0 and c-5 index 5, allocated an hour
 * before MAP_NOW.
 */
export function dualLedger(): SliceLedger {
    const empty = emptyLedger({ sliceName: "duo", sliceSubnet: "10.9.0.0/20", subnetSize: 24, sliceSubnetIpv6: "fd00:9::/60", subnetSizeIpv6: 64 });
    return mustAllocate(mustAllocate(empty, "c-0", minutesBefore(60), 0), "c-5", minutesBefore(60), 5);
}
