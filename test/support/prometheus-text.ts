import parsePrometheusTextFormat from "parse-prometheus-text-format";

/**
 * Reading the Prometheus text format in tests, with parse-prometheus-text-format.
 * `parseExposition` parses a whole document (families, HELP, TYPE; it throws
 * on a malformed line). That parser merges the samples of a histogram with
 * labels into one unlabelled entry, so `samplesOf` reads every sample line
 * on its own: the same parser on the document without its TYPE lines, where
 * each series is an untyped family of labelled samples.
 */
export function parseExposition(text: string): ReturnType<typeof parsePrometheusTextFormat> {
    return parsePrometheusTextFormat(text);
}

export interface Sample {
    readonly name: string;
    readonly labels: Record<string, string>;
    readonly value: number;
}

export function samplesOf(text: string): Sample[] {
    const untyped = text
        .split("\n")
        .filter((line) => !line.startsWith("# TYPE "))
        .join("\n");
    return parsePrometheusTextFormat(untyped).flatMap((family) =>
        family.metrics.map((metric) => ({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) })),
    );
}

/** The value of the one sample with this name and exactly these labels. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string>): number | undefined {
    const wanted = JSON.stringify(Object.entries(labels).sort());
    return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}
