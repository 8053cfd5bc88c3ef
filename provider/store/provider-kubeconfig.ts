import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { processWide } from "./process-wide";

/**
 * The provider configuration key of the Kubernetes store's kubeconfig. The
 * dynamic-provider host hands a provider its configuration once per process
 * (`configure`), and KubeSliceIpam puts the kubeconfig there, on a provider
 * of its own, so that it is kept once in Pulumi state rather than in every
 * resource's inputs and outputs (docs/stores.md, "The kubeconfig in state").
 */
export const PROVIDER_KUBECONFIG_KEY = "kubeslice-ipam:kubeconfig";

/** How messages name a kubeconfig from the provider's configuration. */
export const PROVIDER_KUBECONFIG_NAME = `the store's kubeconfig, kept in the provider's configuration (${PROVIDER_KUBECONFIG_KEY})`;

interface Configured {
    kubeconfig?: string;
}

const configured = (): Configured => processWide<Configured>("kubeslice-ipam.provider-kubeconfig", () => ({}));

/** Called by the handlers' `configure`: what this provider process was configured with (undefined: nothing). */
export function configureProviderKubeconfig(kubeconfig: unknown): void {
    configured().kubeconfig = typeof kubeconfig === "string" && kubeconfig !== "" ? kubeconfig : undefined;
}

/** The Kubernetes store's kubeconfig options for a store input with `kubeconfigFrom: "provider"`. */
export function providerKubeconfig(): { kubeconfig: string; kubeconfigName: string } {
    const { kubeconfig } = configured();
    if (kubeconfig === undefined) {
        throw new KubesliceIpamError(
            "store-kubeconfig-not-configured",
            `the store input says its kubeconfig is in the provider's configuration (kubeconfigFrom "provider"), but this ` +
                `resource's provider has no ${PROVIDER_KUBECONFIG_KEY}; give the resource a KubeconfigProvider holding it ` +
                `(KubeSliceIpam's children get "<name>-store"), set it in the stack's config ` +
                `(pulumi config set --secret ${PROVIDER_KUBECONFIG_KEY} < kubeconfig), or pass the kubeconfig as store.kubeconfig instead`,
        );
    }
    return { kubeconfig, kubeconfigName: PROVIDER_KUBECONFIG_NAME };
}
