import { AggregatorRegistry, Registry } from "prom-client";
import { MetricFamily } from "./ledger-metrics";

/** The content type of the Prometheus text exposition format (0.0.4), as prom-client serves it. */
export const EXPOSITION_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A prom-client registry holding `families`. The values were counted by
 * other processes (the providers, through the ledger), so they are restored
 * the way prom-client's cluster mode restores metrics its workers counted:
 * `AggregatorRegistry.aggregate` over metric JSON. With one source the
 * "sum" aggregation is the identity.
 */
export function registryOf(families: readonly MetricFamily[]): Registry {
    const json = families.map((family) => ({ ...family, values: [...family.values], aggregator: "sum" }));
    return AggregatorRegistry.aggregate([json]);
}

/** `families` in the Prometheus text format. */
export function renderExposition(families: readonly MetricFamily[]): Promise<string> {
    return registryOf(families).metrics();
}
