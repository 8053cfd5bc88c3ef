/**
 * The implementation behind the dynamic providers. Provider objects load this
 * module by name inside each call instead of capturing it, so their serialized
 * form (stored in Pulumi state) stays a few lines long. Keep these signatures
 * backward compatible: state written by older versions calls them.
 */
export * as sliceIpam from "./slice-ipam";
export * as subnetAllocation from "./subnet-allocation";
export * as manifestFile from "./manifest-file";
export * as subnetUsage from "./subnet-usage";
export { configure, providers } from "./providers";
