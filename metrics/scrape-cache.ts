/**
 * One store read for many scrapes. Every scrape reads every slice (a LIST
 * per slice on the Kubernetes store), so Prometheus replicas, dashboards and
 * a curl loop would each cost a full read: concurrent scrapes share the read
 * in flight, and a result is reused for `maxAgeMs` after it completed. A
 * failed read is shared by the scrapes that waited for it and never reused.
 */

/** The exporter's default reuse interval (`--cache-seconds`). */
export const DEFAULT_SCRAPE_CACHE_SECONDS = 5;

export function coalescedScrape<T>(scrape: () => Promise<T>, maxAgeMs: number, clock: () => number = Date.now): () => Promise<T> {
    let current: { readonly result: Promise<T>; doneAt?: number } | undefined;
    return () => {
        if (current !== undefined && (current.doneAt === undefined || clock() - current.doneAt < maxAgeMs)) {
            return current.result;
        }
        const entry: { readonly result: Promise<T>; doneAt?: number } = { result: scrape() };
        current = entry;
        entry.result.then(
            () => {
                entry.doneAt = clock();
            },
            () => {
                if (current === entry) {
                    current = undefined;
                }
            },
        );
        return entry.result;
    };
}
