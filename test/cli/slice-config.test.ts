import { describe, expect, it } from "vitest";
import { sliceConfigClusters } from "../../cli/slice-config";

const sliceConfig = (name: string, clusters: string) => `apiVersion: controller.kubeslice.io/v1alpha1
kind: SliceConfig
metadata:
  name: ${name}
  namespace: kubeslice-cisco
spec:
  sliceSubnet: 10.1.0.0/16
  sliceIpamType: Dynamic
  clusters: ${clusters}
`;

describe("sliceConfigClusters", () => {
    it("reads spec.clusters of the SliceConfig named like the slice", () => {
        expect(sliceConfigClusters(sliceConfig("blue", "[worker-1, worker-2]"), "blue")).toEqual({
            ok: true,
            clusters: ["worker-1", "worker-2"],
        });
    });

    it("finds it among several documents and in a kubectl List", () => {
        const documents = `${sliceConfig("red", "[a]")}---\nkind: Namespace\nmetadata: {name: x}\n---\n${sliceConfig("blue", "[b]")}`;
        expect(sliceConfigClusters(documents, "blue")).toEqual({ ok: true, clusters: ["b"] });
        const list = `apiVersion: v1\nkind: List\nitems:\n  - kind: SliceConfig\n    metadata: {name: blue}\n    spec: {clusters: [c]}\n`;
        expect(sliceConfigClusters(list, "blue")).toEqual({ ok: true, clusters: ["c"] });
    });

    it("reads a SliceConfig without clusters as none", () => {
        expect(sliceConfigClusters("kind: SliceConfig\nmetadata: {name: blue}\nspec: {}\n", "blue")).toEqual({ ok: true, clusters: [] });
    });

    it.each([
        ["kind: [", "blue", "it is not valid YAML"],
        ["kind: Namespace\nmetadata: {name: blue}\n", "blue", "it holds no SliceConfig"],
        [sliceConfig("red", "[a]"), "blue", 'it holds SliceConfig "red" but none named "blue"'],
        [sliceConfig("blue", "worker-1"), "blue", 'its SliceConfig "blue" is malformed: spec.clusters: spec.clusters must be a list'],
    ])("explains what is wrong with %j", (text, slice, reason) => {
        const found = sliceConfigClusters(text, slice);
        expect(found.ok).toBe(false);
        expect(!found.ok && found.reason).toContain(reason);
    });
});
