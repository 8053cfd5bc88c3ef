import * as pulumi from "@pulumi/pulumi";
import { PROVIDER_KUBECONFIG_KEY } from "../provider/store/provider-kubeconfig";

/**
 * A dynamic-provider instance (`pulumi:providers:pulumi-nodejs`) whose
 * configuration holds the Kubernetes store's kubeconfig, as a secret. The
 * resources created with it take a store input with
 * `kubeconfigFrom: "provider"` instead of the kubeconfig, so Pulumi state
 * holds the kubeconfig once, not twice per resource, and rotating it updates
 * this provider alone. Its deletes use the kubeconfig it holds then.
 */
export class KubeconfigProvider extends pulumi.ProviderResource {
    constructor(name: string, kubeconfig: pulumi.Input<string | undefined>, opts?: pulumi.ResourceOptions) {
        // None when there is no kubeconfig: a secret of nothing would still reach the configuration, as null.
        const secretKubeconfig = pulumi.output(kubeconfig).apply((contents) => (contents === undefined ? undefined : pulumi.secret(contents)));
        super("pulumi-nodejs", name, { [PROVIDER_KUBECONFIG_KEY]: secretKubeconfig }, opts);
    }
}
