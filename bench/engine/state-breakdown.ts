/** Where a stack's state bytes go, by resource type and part, per cluster. */
export function stateBreakdown(exported: { deployment: { resources: Record<string, any>[] } }, clusters: number): Record<string, number | string>[] {
    const parts = new Map<string, number>();
    const add = (key: string, bytes: number) => parts.set(key, (parts.get(key) ?? 0) + bytes);
    for (const resource of exported.deployment.resources) {
        const type = String(resource.type).replace(/^.*:/, "");
        add(`${type} (whole)`, JSON.stringify(resource).length);
        for (const side of ["inputs", "outputs"] as const) {
            const props = resource[side] ?? {};
            for (const [key, value] of Object.entries(props)) {
                add(`${type} ${side}.${key === "__provider" ? "__provider" : key}`, JSON.stringify(value).length);
            }
        }
    }
    return [...parts.entries()]
        .filter(([, bytes]) => bytes / clusters >= 20)
        .sort((a, b) => b[1] - a[1])
        .map(([part, bytes]) => ({ part, "bytes per cluster": Math.round(bytes / clusters) }));
}

/** The `__provider` text of the first resource with many siblings of its type (the N per-cluster resources). */
export function providerTextSize(exported: { deployment: { resources: Record<string, any>[] } }): number {
    const counts = new Map<string, number>();
    for (const resource of exported.deployment.resources) counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
    const [type] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    const resource = exported.deployment.resources.find((r) => r.type === type);
    return String(resource?.inputs?.__provider ?? "").length;
}
