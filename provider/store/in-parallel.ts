/** Parallel requests per operation: enough to hide latency, few enough not to be throttled. */
export const PARALLEL_REQUESTS = 8;

/** Runs `work` on every item, at most PARALLEL_REQUESTS at once; every item is tried, then the first error is thrown. */
export async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const errors: unknown[] = [];
    const worker = async () => {
        while (next < items.length) {
            const item = items[next++];
            try {
                await work(item);
            } catch (error) {
                errors.push(error);
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, items.length) }, worker));
    if (errors.length > 0) {
        throw errors[0];
    }
}
