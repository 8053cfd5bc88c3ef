import { parseAllDocuments } from "yaml";
import { z } from "zod";

/**
 * Reads the cluster list of a KubeSlice SliceConfig
 * (controller.kubeslice.io/v1alpha1) from YAML, as `kubectl get sliceconfig
 * NAME -o yaml` prints it or as it sits in a GitOps repository. Accepts
 * several documents and `kind: List`. Pure: text in, result out.
 */
export const SLICE_CONFIG_KIND = "SliceConfig";

const sliceConfigSchema = z.object({
    kind: z.literal(SLICE_CONFIG_KIND),
    metadata: z.object({ name: z.string() }),
    spec: z.object({
        clusters: z.array(z.string(), { error: "spec.clusters must be a list of cluster names" }).default([]),
    }),
});

export type SliceConfigClusters = { readonly ok: true; readonly clusters: string[] } | { readonly ok: false; readonly reason: string };

export function sliceConfigClusters(yamlText: string, sliceName: string): SliceConfigClusters {
    const objects: unknown[] = [];
    for (const document of parseAllDocuments(yamlText)) {
        if (document.errors.length > 0) {
            return { ok: false, reason: `it is not valid YAML: ${document.errors[0].message}` };
        }
        const value = document.toJS() as { kind?: unknown; items?: unknown } | null;
        if (value?.kind === "List" && Array.isArray(value.items)) {
            objects.push(...value.items);
        } else if (value !== null && value !== undefined) {
            objects.push(value);
        }
    }
    const configs = objects.filter((object) => (object as { kind?: unknown })?.kind === SLICE_CONFIG_KIND);
    if (configs.length === 0) {
        return { ok: false, reason: `it holds no ${SLICE_CONFIG_KIND}` };
    }
    const named = configs.filter((config) => (config as { metadata?: { name?: unknown } }).metadata?.name === sliceName);
    if (named.length === 0) {
        const names = configs.map((config) => JSON.stringify((config as { metadata?: { name?: unknown } }).metadata?.name));
        return { ok: false, reason: `it holds ${SLICE_CONFIG_KIND} ${names.join(", ")} but none named "${sliceName}"` };
    }
    const parsed = sliceConfigSchema.safeParse(named[0]);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, reason: `its ${SLICE_CONFIG_KIND} "${sliceName}" is malformed: ${issue.path.join(".")}: ${issue.message}` };
    }
    return { ok: true, clusters: parsed.data.spec.clusters };
}
