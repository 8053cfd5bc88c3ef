export { SliceIpam, sliceIpamProvider } from "./slice-ipam";
export type { SliceIpamArgs, StoreInput } from "./slice-ipam";
export { SubnetAllocation, subnetAllocationProvider } from "./subnet-allocation";
export type { SubnetAllocationArgs } from "./subnet-allocation";
export { ManifestFile, manifestFileProvider } from "./manifest-file";
export type { ManifestFileArgs } from "./manifest-file";
export { SubnetUsage, subnetUsageProvider } from "./subnet-usage";
export type { SubnetUsageArgs } from "./subnet-usage";
