/**
 * Kubeconfigs that cannot be used, each holding `MARKER` where a credential
 * sits. Whatever path their contents take, the marker must appear in no
 * message, log line, output or state file.
 */
export const MARKER = "kubeconfig-secret-marker-3b9f2c";

const valid = (user: string, cluster = "    server: https://127.0.0.1:1\n") => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
${cluster}users:
- name: u
  user:
${user}contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`;

export const LEAKY_KUBECONFIGS: Readonly<Record<string, string>> = {
    // The case: a mis-indented line right below the token; the YAML parser quotes both.
    "a YAML syntax error below the token": valid(`    token: ${MARKER}\n   extra: mis-indented\n`),
    "an unterminated quote in the token": valid(`    token: "${MARKER}\n`),
    "a tab where YAML wants spaces": valid(`    token: ${MARKER}\n\tpassword: ${MARKER}\n`),
    "two users with the same (secret) name": valid(`    token: x\n- name: ${MARKER}\n  user: {}\n- name: ${MARKER}\n  user: {}\n`),
    "invalid base64 in the certificate data": valid(
        `    client-certificate-data: ${MARKER}!!\n    client-key-data: ${MARKER}%%\n`,
        `    server: https://127.0.0.1:1\n    certificate-authority-data: ${MARKER}!!\n`,
    ),
    "a bare string": `${MARKER}\n`,
};
