// A Go consumer of the native provider, run through the real engine with the
// Automation API's inline programs: the Go program runs in this process and
// the CLI talks to it directly, so no pulumi-language-go is needed (the Go
// module proxy here refuses that module). The resources come from the typed
// Go SDK that test/e2e/go-sdk-gen generates from the plugin's schema into
// ./sdk/kubesliceipam (not committed: the test generates it beside a copy of
// this program, so it is always the schema's).
//
//	go run . -command up|preview|refresh|destroy -work <dir> -plugin <dir> -stack <name>
//	         [-store-dir <dir> | -kube-namespace <ns> -kubeconfig <file>]
//	         [-slice <name> -pool <cidr>] [-component | -allocations-only] [-import <cluster>=<id>,…] <cluster>...
//
// Declares the SliceIpam "<slice>" (default olive, 10.60.0.0/16) and one
// SubnetAllocation "<slice>-<cluster>" per cluster, or with -component one
// KubeSliceIpam "<slice>" listing them, or with -allocations-only the
// allocations alone, in a slice another stack registers.
// -import adopts an existing allocation with the pulumi.Import resource
// option. Prints one JSON line: {"subnets": {...}, "changes": {...}}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"kubeslice-ipam/test/e2e/go-consumer/sdk/kubesliceipam"
)

type options struct {
	slice, pool                         string
	storeDir, kubeNamespace, kubeconfig string
	component, allocationsOnly          bool
	imports                             map[string]string // cluster → import id
	clusters                            []string
}

func (o options) store() (kubesliceipam.StoreArgs, error) {
	if o.kubeNamespace == "" {
		return kubesliceipam.StoreArgs{Kind: pulumi.String("file"), Directory: pulumi.String(o.storeDir)}, nil
	}
	kubeconfig, err := os.ReadFile(o.kubeconfig)
	if err != nil {
		return kubesliceipam.StoreArgs{}, err
	}
	return kubesliceipam.StoreArgs{
		Kind:       pulumi.String("kubernetes"),
		Namespace:  pulumi.String(o.kubeNamespace),
		Kubeconfig: pulumi.ToSecret(pulumi.String(string(kubeconfig))).(pulumi.StringOutput),
	}, nil
}

func program(o options) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		store, err := o.store()
		if err != nil {
			return err
		}
		if o.component {
			slice, err := kubesliceipam.NewKubeSliceIpam(ctx, o.slice, &kubesliceipam.KubeSliceIpamArgs{
				SliceName:   pulumi.String(o.slice),
				Namespace:   pulumi.String("kubeslice-e2e"),
				SliceSubnet: pulumi.String(o.pool),
				Clusters:    pulumi.ToStringArray(o.clusters),
				Store:       store,
			})
			if err != nil {
				return err
			}
			ctx.Export("subnets", slice.Subnets)
			ctx.Export("totalSubnets", slice.TotalSubnets)
			ctx.Export("availableSubnets", slice.AvailableSubnets)
			return nil
		}
		// The allocations name the slice through its output, so the engine registers it first.
		sliceName := pulumi.String(o.slice).ToStringOutput()
		if !o.allocationsOnly {
			slice, err := kubesliceipam.NewSliceIpam(ctx, o.slice, &kubesliceipam.SliceIpamArgs{
				SliceName:   pulumi.String(o.slice),
				SliceSubnet: pulumi.String(o.pool),
				Store:       store,
			})
			if err != nil {
				return err
			}
			sliceName = slice.SliceName
			ctx.Export("totalSubnets", slice.TotalSubnets)
		}
		subnets := pulumi.StringMap{}
		for _, cluster := range o.clusters {
			var opts []pulumi.ResourceOption
			if id, ok := o.imports[cluster]; ok {
				opts = append(opts, pulumi.Import(pulumi.ID(id)))
			}
			allocation, err := kubesliceipam.NewSubnetAllocation(ctx, o.slice+"-"+cluster, &kubesliceipam.SubnetAllocationArgs{
				SliceName:   sliceName,
				ClusterName: pulumi.String(cluster),
				Store:       store,
			}, opts...)
			if err != nil {
				return err
			}
			subnets[cluster] = allocation.Subnet
		}
		ctx.Export("subnets", subnets)
		return nil
	}
}

func main() {
	command := flag.String("command", "", "up, preview, refresh or destroy")
	workDir := flag.String("work", "", "the project's directory")
	pluginDir := flag.String("plugin", "", "the plugin folder (plugin/ of the package)")
	stackName := flag.String("stack", "dev", "the stack")
	var o options
	flag.StringVar(&o.slice, "slice", "olive", "the slice's name (and the component's)")
	flag.StringVar(&o.pool, "pool", "10.60.0.0/16", "the slice's pool")
	flag.StringVar(&o.storeDir, "store-dir", "", "file store directory")
	flag.StringVar(&o.kubeNamespace, "kube-namespace", "", "Kubernetes store: the namespace")
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "Kubernetes store: a kubeconfig file, passed as a secret")
	flag.BoolVar(&o.component, "component", false, "declare one KubeSliceIpam instead of the resources")
	flag.BoolVar(&o.allocationsOnly, "allocations-only", false, "declare the allocations only, in a slice another stack registers")
	imports := flag.String("import", "", "<cluster>=<id>,…: import these allocations")
	flag.Parse()
	o.clusters = flag.Args()
	o.imports = map[string]string{}
	for _, pair := range strings.Split(*imports, ",") {
		if cluster, id, ok := strings.Cut(pair, "="); ok {
			o.imports[cluster] = id
		}
	}

	ctx := context.Background()
	project := workspace.Project{
		Name:     "go-consumer",
		Runtime:  workspace.NewProjectRuntimeInfo("go", nil),
		Packages: map[string]workspace.PackageSpec{"kubeslice-ipam": {Source: *pluginDir}},
	}
	stack, err := auto.UpsertStackInlineSource(ctx, *stackName, "go-consumer", program(o), auto.Project(project), auto.WorkDir(*workDir))
	check(err)
	result := map[string]any{}
	switch *command {
	case "up":
		up, err := stack.Up(ctx, optup.ProgressStreams(os.Stderr))
		check(err)
		for name, output := range up.Outputs {
			result[name] = output.Value
		}
		result["changes"] = up.Summary.ResourceChanges
	case "preview":
		preview, err := stack.Preview(ctx, optpreview.ProgressStreams(os.Stderr), optpreview.ExpectNoChanges())
		check(err)
		result["changes"] = preview.ChangeSummary
	case "refresh":
		refresh, err := stack.Refresh(ctx, optrefresh.ProgressStreams(os.Stderr))
		check(err)
		result["changes"] = refresh.Summary.ResourceChanges
	case "destroy":
		destroy, err := stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stderr))
		check(err)
		result["changes"] = destroy.Summary.ResourceChanges
	default:
		check(fmt.Errorf("unknown command %q", *command))
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
