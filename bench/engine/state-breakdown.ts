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
