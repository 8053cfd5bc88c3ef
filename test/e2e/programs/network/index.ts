import * as pulumi from "@pulumi/pulumi";

// e2e fixture: stands for a VPC stack; its outputs are what a slice reserves.
//   nodeCidr, podCidr  CIDRs (required)
const config = new pulumi.Config();

export const nodeCidr = config.require("nodeCidr");
export const podCidr = config.require("podCidr");
