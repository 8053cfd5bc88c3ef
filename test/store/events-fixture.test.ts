import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApiServer, TestApiServer } from "../support/kube-apiserver";
import { findRepoRoot } from "../support/provider-host";

const REPO = findRepoRoot(__dirname);
let server: TestApiServer;
beforeAll(async () => {
    server = await startTestApiServer([path.join(REPO, "test/fixtures/events/events.k8s.io_events.yaml")]);
}, 600_000);
afterAll(async () => server?.stop());

it("probe", async () => {
    const api = server.config.makeApiClient(server.client.EventsV1Api);
    const created = await api.createNamespacedEvent({
        namespace: "ns1",
        body: {
            apiVersion: "events.k8s.io/v1",
            kind: "Event",
            metadata: { name: "blue.18a5b3c7d9e0f123" },
            eventTime: new server.client.V1MicroTime(),
            reportingController: "kubeslice-ipam.io/store",
            reportingInstance: "x",
            action: "Allocate",
            reason: "Allocated",
            note: "hi",
            type: "Normal",
            regarding: { apiVersion: "controller.kubeslice.io/v1alpha1", kind: "SliceIpam", name: "blue", namespace: "ns1" },
        },
    });
    console.log(JSON.stringify(created));
    const listed = await api.listNamespacedEvent({ namespace: "ns1", fieldSelector: "regarding.kind=SliceIpam" });
    console.log(listed.items.length);
    expect(listed.items.length).toBe(1);
});
