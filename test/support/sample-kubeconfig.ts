/** A kubeconfig the client loads, with one cluster at https://127.0.0.1:6443 and a token user; nothing listens there. */
export const SAMPLE_KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;
