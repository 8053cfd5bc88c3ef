/** The package name of the native provider, and its resources' type tokens. */
export const PACKAGE_NAME = "kubeslice-ipam";
export const SLICE_IPAM_TOKEN = `${PACKAGE_NAME}:index:SliceIpam`;
export const SUBNET_ALLOCATION_TOKEN = `${PACKAGE_NAME}:index:SubnetAllocation`;
export const MANIFEST_FILE_TOKEN = `${PACKAGE_NAME}:index:ManifestFile`;
/** The component's token: the same as the TypeScript component's own (components/kubeslice-ipam.ts). */
export const KUBESLICE_IPAM_TOKEN = `${PACKAGE_NAME}:index:KubeSliceIpam`;

/** `urn:pulumi:<stack>::<project>::<parent$…$type>::<name>` → `type`. */
export function typeOfUrn(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}
