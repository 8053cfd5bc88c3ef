/**
 * State shared by every call of a provider process. Pulumi serializes
 * provider objects and constructs stores per call, so nothing may hang off
 * them: caches and queues live on `globalThis` under a registered symbol,
 * found at call time (and shared by every copy of this module in a process).
 */
export function processWide<T extends object>(name: string, make: () => T): T {
    const registry = globalThis as unknown as Record<symbol, T | undefined>;
    return (registry[Symbol.for(name)] ??= make());
}
