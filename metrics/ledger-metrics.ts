import { cidrFromString } from "../provider/core/cidr";
import { LATENCY_BUCKETS_SECONDS } from "../provider/core/counters";
import { capacity, isReclaimable, SliceLedger } from "../provider/core/ledger";
import { inUseCount } from "../provider/core/usage";

/**
 * The design guide's Prometheus metrics, derived from slice ledgers. Pure:
 * no I/O, no clock, no prom-client. Provider processes live for one
 * `pulumi up`, so they cannot be scraped: they persist counters and the
 * latency histogram in each slice's ledger, and an exporter reads the ledgers
 * and publishes what they hold. Gauges are computed from the allocations as
 * of `now`.
 */

/** Metric names, as the guide spells them. */
export const METRIC = {
    allocations: "ipam_allocations_total",
    releases: "ipam_releases_total",
    allocationLatency: "ipam_allocation_latency_seconds",
    totalSubnets: "ipam_total_subnets",
    reservedSubnets: "ipam_reserved_subnets",
    availableSubnets: "ipam_available_subnets",
    allocatedSubnets: "ipam_allocated_subnets",
    inUseSubnets: "ipam_inuse_subnets",
    utilization: "ipam_utilization_rate",
    conflicts: "ipam_conflicts_total",
    reclaimed: "ipam_reclaimed_total",
    reclaimable: "ipam_reclaimable_subnets",
    sliceInfo: "ipam_slice_info",
    unreadable: "ipam_slice_unreadable",
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
export type MetricType = "counter" | "gauge" | "histogram";

/** One sample line: `metricName` is set for a histogram's `_bucket`, `_sum` and `_count` series. */
export interface MetricSample {
    readonly metricName?: string;
    readonly labels: Readonly<Record<string, string | number>>;
    readonly value: number;
}

/**
 * One metric and its samples, in the shape prom-client's
 * `registry.getMetricsAsJSON()` produces, so prom-client can render it.
 */
export interface MetricFamily {
    readonly name: MetricName;
    readonly help: string;
    readonly type: MetricType;
    readonly values: readonly MetricSample[];
}

interface MetricDefinition {
    readonly name: MetricName;
    readonly help: string;
    readonly type: MetricType;
    readonly samples: (ledger: SliceLedger, now: Date) => MetricSample[];
}

const slice = (ledger: SliceLedger) => ({ slice: ledger.spec.sliceName });
const perSlice = (ledger: SliceLedger, value: number): MetricSample[] => [{ labels: slice(ledger), value }];

/** Every metric, in exposition order. */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = [
    {
        name: METRIC.allocations,
        help: "Subnet allocations per slice: success (new or reused subnet) and failure (pool exhausted or maxClusters reached).",
        type: "counter",
        samples: (ledger) => [
            { labels: { ...slice(ledger), status: "success" }, value: ledger.counters.allocationsSucceeded },
            { labels: { ...slice(ledger), status: "failure" }, value: ledger.counters.allocationsFailed },
        ],
    },
    {
        name: METRIC.releases,
        help: "Active subnets released (marked Released) per slice.",
        type: "counter",
        samples: (ledger) => perSlice(ledger, ledger.counters.releases),
    },
    {
        name: METRIC.allocationLatency,
        help: "Time from an allocation request to its ledger change, in seconds, per slice.",
        type: "histogram",
        samples: latencySamples,
    },
    {
        name: METRIC.totalSubnets,
        help: "Subnets in the slice's pool: 2^(subnetSize - slice prefix).",
        type: "gauge",
        samples: (ledger, now) => perSlice(ledger, capacity(ledger, now).totalSubnets),
    },
    {
        name: METRIC.reservedSubnets,
        help: "Subnets of the pool that the slice's reservedRanges touch, held or not; 0 without reserved ranges.",
        type: "gauge",
        samples: (ledger, now) => perSlice(ledger, capacity(ledger, now).reservedSubnets),
    },
    {
        name: METRIC.availableSubnets,
        help: "Clusters that could join the slice now: free subnets (Released ones in grace are reserved), capped by maxClusters.",
        type: "gauge",
        samples: (ledger, now) => perSlice(ledger, capacity(ledger, now).availableSubnets),
    },
    {
        name: METRIC.allocatedSubnets,
        help: "Subnets held by clusters (status Allocated or InUse).",
        type: "gauge",
        samples: (ledger, now) => perSlice(ledger, capacity(ledger, now).activeSubnets),
    },
    {
        name: METRIC.inUseSubnets,
        help: "Subnets whose cluster's worker reported connected app pods (status InUse); a part of ipam_allocated_subnets.",
        type: "gauge",
        samples: (ledger) => perSlice(ledger, inUseCount(ledger)),
    },
    {
        name: METRIC.utilization,
        help: "Allocated subnets / usable subnets (total less the reserved subnets nobody holds), 0..1.",
        type: "gauge",
        samples: (ledger, now) => perSlice(ledger, capacity(ledger, now).utilization),
    },
    {
        name: METRIC.conflicts,
        help: "Ledger writes that lost a compare-and-swap race to another writer and were retried.",
        type: "counter",
        samples: (ledger) => perSlice(ledger, ledger.counters.conflicts),
    },
    {
        name: METRIC.reclaimed,
        help: "Released subnets returned to the pool because their grace period ended before the cluster rejoined.",
        type: "counter",
        samples: (ledger) => perSlice(ledger, ledger.counters.reclaimed),
    },
    {
        name: METRIC.reclaimable,
        help:
            "Released subnets past their grace period and not yet returned to the pool (slice-ipam reclaim or the next allocation does); " +
            "already counted in ipam_available_subnets and not in ipam_utilization_rate.",
        type: "gauge",
        samples: (ledger, now) => perSlice(ledger, ledger.allocations.filter((entry) => isReclaimable(ledger, entry, now)).length),
    },
    {
        name: METRIC.sliceInfo,
        help:
            "Always 1; the labels describe the slice: its IP family (ipv4, ipv6, or dual for a dual-stack slice, whose IPv6 pool is in " +
            "slice_subnet_ipv6 and subnet_size_ipv6), pool, and the exact total_subnets and reserved_subnets as decimal text. Sample " +
            "values are float64, exact only up to 2^53: an IPv6 pool's counts are exact here.",
        type: "gauge",
        samples: (ledger, now) => {
            const figures = capacity(ledger, now);
            const labels = {
                ...slice(ledger),
                // A dual-stack slice's gauges count clusters, each holding one subnet of each family: one series serves both.
                ip_family: ledger.spec.sliceSubnetIpv6 === undefined ? `ipv${cidrFromString(ledger.spec.sliceSubnet).version}` : "dual",
                slice_subnet: ledger.spec.sliceSubnet,
                subnet_size: String(ledger.spec.subnetSize),
                ...(ledger.spec.sliceSubnetIpv6 === undefined
                    ? {}
                    : { slice_subnet_ipv6: ledger.spec.sliceSubnetIpv6, subnet_size_ipv6: String(ledger.spec.subnetSizeIpv6) }),
                total_subnets: figures.exact.totalSubnets,
                reserved_subnets: figures.exact.reservedSubnets,
            };
            return [{ labels, value: 1 }];
        },
    },
];

/**
 * Every metric of every slice as of `now`. Metrics with no slice still
 * appear, with no samples. `unreadable` names the slices whose ledgers could
 * not be read (corrupt, hand-edited): they have only `ipam_slice_unreadable`
 * 1, so one broken slice never blinds the exporter to the others.
 */
export function ledgerMetricFamilies(ledgers: readonly SliceLedger[], now: Date, unreadable: readonly string[] = []): MetricFamily[] {
    const sorted = [...ledgers].sort((a, b) => a.spec.sliceName.localeCompare(b.spec.sliceName));
    const families: MetricFamily[] = METRIC_DEFINITIONS.map((definition) => ({
        name: definition.name,
        help: definition.help,
        type: definition.type,
        values: sorted.flatMap((ledger) => definition.samples(ledger, now)),
    }));
    const health = [
        ...sorted.map((ledger) => ({ slice: ledger.spec.sliceName, value: 0 })),
        ...unreadable.map((name) => ({ slice: name, value: 1 })),
    ].sort((a, b) => a.slice.localeCompare(b.slice));
    families.push({
        name: METRIC.unreadable,
        help: "1 when the slice's ledger cannot be read (corrupt or hand-edited; slice-ipam status names the problem), else 0.",
        type: "gauge",
        values: health.map(({ slice, value }) => ({ labels: { slice }, value })),
    });
    return families;
}

/**
 * The ledger keeps one count per bucket (non-cumulative, observations above
 * the last bound only in `count`); Prometheus wants cumulative `le` buckets
 * ending with `+Inf` = count.
 */
function latencySamples(ledger: SliceLedger): MetricSample[] {
    const { bucketCounts, sum, count } = ledger.counters.allocationLatency;
    const name = METRIC.allocationLatency;
    let cumulative = 0;
    const buckets: MetricSample[] = LATENCY_BUCKETS_SECONDS.map((bound, i) => {
        cumulative += bucketCounts[i] ?? 0;
        return { metricName: `${name}_bucket`, labels: { ...slice(ledger), le: bound }, value: cumulative };
    });
    return [
        ...buckets,
        { metricName: `${name}_bucket`, labels: { ...slice(ledger), le: "+Inf" }, value: count },
        { metricName: `${name}_sum`, labels: slice(ledger), value: sum },
        { metricName: `${name}_count`, labels: slice(ledger), value: count },
    ];
}

/**
 * The series names a metric family exposes: its own name, or for a histogram
 * `_bucket`, `_sum` and `_count`. What queries may select.
 */
export function seriesNames(family: Pick<MetricFamily, "name" | "type">): string[] {
    return family.type === "histogram" ? ["_bucket", "_sum", "_count"].map((suffix) => family.name + suffix) : [family.name];
}
