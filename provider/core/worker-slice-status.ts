import { z } from "zod";

/**
 * The part of a WorkerSliceConfig's `status` that tells whether a cluster
 * uses its subnet. The worker operator lists in `status.connectedAppPods`
 * the application pods it connected to the slice over NSM (schema:
 * worker.kubeslice.io_workersliceconfigs.yaml); every field of an entry is
 * optional there, so entries are checked one by one, here, where they enter.
 */

/** One application pod connected to the slice over NSM. */
export interface ConnectedPod {
    readonly podName: string;
    readonly podNamespace?: string;
    readonly podIp?: string;
    readonly nsmInterface?: string;
    readonly nsmIp?: string;
}

/** What a status says: the pods that count, and why others were not counted. */
export interface ConnectedPods {
    readonly pods: readonly ConnectedPod[];
    /** One line per entry that was not counted, e.g. `connectedAppPods[1]: podName is missing`. */
    readonly ignored: readonly string[];
}

const text = z.string().optional();

// Without a pod name an entry names no pod: it cannot show that anything connected.
const appPodSchema = z.object(
    {
        podName: z.string({ error: "podName is missing" }).min(1, { error: "podName is empty" }),
        podNamespace: text,
        podIp: text,
        nsmInterface: text,
        nsmIp: text,
    },
    { error: "not an object" },
);

const statusSchema = z.object({ connectedAppPods: z.array(z.unknown()).nullish() }, { error: "status is not an object" }).nullish();

/** The connected pods a WorkerSliceConfig's `status` reports; a pod listed twice counts once. */
export function connectedPodsOf(status: unknown): ConnectedPods {
    const parsed = statusSchema.safeParse(status);
    if (!parsed.success) {
        return {
            pods: [],
            ignored: parsed.error.issues.map((issue) => `status${issue.path.map((p) => `.${String(p)}`).join("")}: ${issue.message}`),
        };
    }
    const pods: ConnectedPod[] = [];
    const ignored: string[] = [];
    const seen = new Set<string>();
    (parsed.data?.connectedAppPods ?? []).forEach((entry, i) => {
        const pod = appPodSchema.safeParse(entry);
        if (!pod.success) {
            ignored.push(`connectedAppPods[${i}]: ${pod.error.issues.map((issue) => issue.message).join("; ")}`);
            return;
        }
        const key = `${pod.data.podNamespace ?? ""}/${pod.data.podName}`;
        if (!seen.has(key)) {
            seen.add(key);
            pods.push(pod.data);
        }
    });
    return { pods, ignored };
}
