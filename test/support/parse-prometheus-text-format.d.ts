/** Types for parse-prometheus-text-format 1.1 (the package ships none). */
declare module "parse-prometheus-text-format" {
    interface ParsedSample {
        readonly labels?: Record<string, string>;
        readonly value?: string;
        readonly buckets?: Record<string, string>;
        readonly quantiles?: Record<string, string>;
        readonly count?: string;
        readonly sum?: string;
    }
    interface ParsedFamily {
        readonly name: string;
        readonly help: string;
        readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
        readonly metrics: ParsedSample[];
    }
    function parsePrometheusTextFormat(text: string): ParsedFamily[];
    export = parsePrometheusTextFormat;
}
