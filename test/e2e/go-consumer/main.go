// A Go consumer of the native provider, run through the real engine with the
// Automation API's inline programs: the Go program runs in this process and
// the CLI talks to it directly (`--client`), so no pulumi-language-go is
// needed (the Go module proxy here refuses that module). The resources are
// declared with RegisterResource and typed structs, as a generated Go SDK
// would declare them (generating one also needs pulumi-language-go).
//
//	go run . <up|preview|destroy> <work dir> <plugin dir> <store dir> <cluster>...
//
// Prints one JSON line: {"subnets": {...}, "changes": {...}}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type SubnetAllocation struct {
	pulumi.CustomResourceState
	SliceName   pulumi.StringOutput `pulumi:"sliceName"`
	ClusterName pulumi.StringOutput `pulumi:"clusterName"`
	Subnet      pulumi.StringOutput `pulumi:"subnet"`
	Index       pulumi.IntOutput    `pulumi:"index"`
	Status      pulumi.StringOutput `pulumi:"status"`
}

type SliceIpam struct {
	pulumi.CustomResourceState
	SliceName    pulumi.StringOutput `pulumi:"sliceName"`
	TotalSubnets pulumi.IntOutput    `pulumi:"totalSubnets"`
}

func program(storeDir string, clusters []string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		store := pulumi.Map{"kind": pulumi.String("file"), "directory": pulumi.String(storeDir)}
		var slice SliceIpam
		if err := ctx.RegisterResource("kubeslice-ipam:index:SliceIpam", "olive", pulumi.Map{
			"sliceName": pulumi.String("olive"), "sliceSubnet": pulumi.String("10.60.0.0/16"), "store": store,
		}, &slice); err != nil {
			return err
		}
		subnets := pulumi.StringMap{}
		for _, cluster := range clusters {
			var allocation SubnetAllocation
			if err := ctx.RegisterResource("kubeslice-ipam:index:SubnetAllocation", "olive-"+cluster, pulumi.Map{
				"sliceName": slice.SliceName, "clusterName": pulumi.String(cluster), "store": store,
			}, &allocation); err != nil {
				return err
			}
			subnets[cluster] = allocation.Subnet
		}
		ctx.Export("subnets", subnets)
		ctx.Export("totalSubnets", slice.TotalSubnets)
		return nil
	}
}

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: go run . <up|preview|destroy> <work dir> <plugin dir> <store dir> <cluster>...")
		os.Exit(2)
	}
	command, workDir, pluginDir, storeDir, clusters := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5:]
	ctx := context.Background()
	project := workspace.Project{
		Name:     "go-consumer",
		Runtime:  workspace.NewProjectRuntimeInfo("go", nil),
		Packages: map[string]workspace.PackageSpec{"kubeslice-ipam": {Source: pluginDir}},
	}
	stack, err := auto.UpsertStackInlineSource(ctx, "dev", "go-consumer", program(storeDir, clusters),
		auto.Project(project), auto.WorkDir(workDir))
	check(err)
	result := map[string]any{}
	switch command {
	case "up":
		up, err := stack.Up(ctx, optup.ProgressStreams(os.Stderr))
		check(err)
		result["subnets"] = up.Outputs["subnets"].Value
		result["totalSubnets"] = up.Outputs["totalSubnets"].Value
		result["changes"] = up.Summary.ResourceChanges
	case "preview":
		preview, err := stack.Preview(ctx, optpreview.ProgressStreams(os.Stderr), optpreview.ExpectNoChanges())
		check(err)
		result["changes"] = preview.ChangeSummary
	case "destroy":
		destroy, err := stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stderr))
		check(err)
		result["changes"] = destroy.Summary.ResourceChanges
	default:
		check(fmt.Errorf("unknown command %q", command))
	}
	out, err := json.Marshal(result)
	check(err)
	fmt.Println(string(out))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-consumer:", err)
		os.Exit(1)
	}
}
