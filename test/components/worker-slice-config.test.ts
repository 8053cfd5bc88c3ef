import Ajv from "ajv";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { renderManifestYaml, workerSliceConfig, WorkerSliceConfigParams } from "../../components/worker-slice-config";

const CRD = path.resolve(__dirname, "../fixtures/kubeslice-crds/pr-284-dynamic-ipam/worker.kubeslice.io_workersliceconfigs.yaml");

/**
 * The CRD's openAPIV3Schema with Kubernetes' structural-schema semantics:
 * fields the schema does not declare are pruned by the API server, so here
 * they are errors — a typo in a field name must fail, not vanish.
 */
function structural(schema: any): any {
    if (Array.isArray(schema)) {
        return schema.map(structural);
    }
    if (schema === null || typeof schema !== "object") {
        return schema;
    }
    const copy: any = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, structural(v)]));
    if (copy.type === "object" && copy.properties && copy.additionalProperties === undefined && !copy["x-kubernetes-preserve-unknown-fields"]) {
        copy.additionalProperties = false;
    }
    return copy;
}

const crd = parse(readFileSync(CRD, "utf8"));
const schema = structural(crd.spec.versions.find((v: any) => v.name === "v1alpha1").schema.openAPIV3Schema);
const validate = new Ajv({ strict: false, allErrors: true, formats: { "date-time": true } }).compile(schema);

const params: WorkerSliceConfigParams = {
    sliceName: "blue",
    namespace: "kubeslice-cisco",
    sliceSubnet: "10.2.0.0/16",
    clusterName: "worker-2",
    subnet: "10.2.1.0/24",
    index: 1,
    extras: {
        sliceType: "Application",
        sliceGatewayProvider: { sliceGatewayType: "OpenVPN", sliceCaType: "Local", sliceGatewayServiceType: "NodePort", sliceGatewayProtocol: "UDP" },
        qosProfileDetails: {
            queueType: "HTB",
            priority: 1,
            tcType: "BANDWIDTH_CONTROL",
            bandwidthCeilingKbps: 5120,
            bandwidthGuaranteedKbps: 2560,
            dscpClass: "AF11",
        },
        namespaceIsolationProfile: { isolationEnabled: false, applicationNamespaces: ["iperf"], allowedNamespaces: ["kube-system"] },
        externalGatewayConfig: { gatewayType: "none", ingress: { enabled: false } },
        overlayNetworkDeploymentMode: "single-network",
    },
};

describe("WorkerSliceConfig manifests", () => {
    it("match the KubeSlice CRD schema for an IPv6 slice: the v6 CIDRs in its string fields, the index in octet", () => {
        const manifest = workerSliceConfig({
            ...params,
            sliceSubnet: "fd00::/8",
            subnet: "fd1f:ffff:ffff:ffff::/64",
            index: 2 ** 53 - 1,
        });
        expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
        expect(manifest.spec).toMatchObject({ sliceSubnet: "fd00::/8", clusterSubnetCIDR: "fd1f:ffff:ffff:ffff::/64", octet: 2 ** 53 - 1 });
        expect(renderManifestYaml(manifest)).toContain("octet: 9007199254740991\n");
    });

    it("match the KubeSlice CRD schema for a dual-stack slice: the spec is the IPv4 one, the IPv6 pool and subnet are annotations", () => {
        const manifest = workerSliceConfig({ ...params, ipv6: { sliceSubnet: "fd00:2::/48", subnet: "fd00:2:0:1::/64" } });
        expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
        expect(manifest.spec).toEqual(workerSliceConfig(params).spec);
        expect(manifest.metadata.annotations).toEqual({
            "ipam.kubeslice-ipam.io/slice-subnet-ipv6": "fd00:2::/48",
            "ipam.kubeslice-ipam.io/cluster-subnet-ipv6": "fd00:2:0:1::/64",
        });
        expect(workerSliceConfig(params).metadata).not.toHaveProperty("annotations");
    });

    it("match the KubeSlice CRD schema, with every extra", () => {
        const manifest = workerSliceConfig(params);
        expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
        expect(validate(workerSliceConfig({ ...params, extras: undefined }))).toBe(true);
    });

    it("carry the subnet where the worker reads it, and the controller's name and labels", () => {
        const manifest = workerSliceConfig(params);
        expect(manifest.apiVersion).toBe("worker.kubeslice.io/v1alpha1");
        expect(manifest.kind).toBe("WorkerSliceConfig");
        expect(manifest.metadata).toEqual({
            name: "blue-worker-2",
            namespace: "kubeslice-cisco",
            labels: {
                "kubeslice-controller-resource-name": "SliceConfig-blue",
                "kubeslice-manager": "controller",
                "kubeslice-resource-owner": "controller",
                "original-slice-name": "blue",
                "project-namespace": "kubeslice-cisco",
                "worker-cluster": "worker-2",
            },
        });
        expect(manifest.spec).toMatchObject({
            sliceName: "blue",
            sliceSubnet: "10.2.0.0/16",
            sliceIpamType: "Dynamic",
            clusterSubnetCIDR: "10.2.1.0/24",
            octet: 1,
        });
    });

    it.each([
        ["a misspelt field", { clusterSubnetCidr: "10.2.1.0/24" }],
        ["a string where the schema wants an integer", { octet: "1" }],
        ["the guide's subnet in ipamClusterOctet", { ipamClusterOctet: "10.2.1.0/24" }],
        ["an unknown IPAM type", { sliceIpamType: "Automatic" }],
        ["a bad enum in an extra", { sliceGatewayProvider: { sliceGatewayProtocol: "SCTP" } }],
    ])("would fail validation with %s", (_what, change) => {
        const manifest = workerSliceConfig(params);
        const broken = { ...manifest, spec: { ...manifest.spec, ...change } };
        expect(validate(broken)).toBe(false);
    });

    it("render to the same bytes every time, keys sorted", () => {
        const yaml = renderManifestYaml(workerSliceConfig(params));
        const shuffled = workerSliceConfig({
            ...params,
            extras: { overlayNetworkDeploymentMode: "single-network", ...params.extras, sliceType: "Application" },
        });
        expect(renderManifestYaml(shuffled)).toBe(yaml);
        expect(yaml.startsWith("apiVersion: worker.kubeslice.io/v1alpha1\nkind: WorkerSliceConfig\nmetadata:\n")).toBe(true);
        expect(yaml).toContain("  clusterSubnetCIDR: 10.2.1.0/24\n");
        expect(parse(yaml)).toEqual(JSON.parse(JSON.stringify(workerSliceConfig(params))));
    });
});
