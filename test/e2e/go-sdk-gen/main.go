// Generates the Go SDK of the kubeslice-ipam native provider from its schema
// with upstream's own Go code generator (pkg/v3/codegen/go, what
// `pulumi package add` runs inside pulumi-language-go, a module the Go module
// proxy here refuses). Pinned to the pkg/v3 of test/pulumi-cli/go.mod, so the
// CLI's build has already compiled nearly all of it.
//
//	go run . <schema.json> <import path of the package> <output directory>
//
// Writes the package's files (e.g. kubesliceipam/sliceIpam.go) under the
// output directory. The import path is the consumer's choice: the schema
// names no Go module, since the package is published to npm only.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noOtherPackages is the schema loader: the schema refers to no other
// package (pulumi.json#/Any is built in), so any request is a mistake to report.
type noOtherPackages struct{}

func (noOtherPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the kubeslice-ipam schema refers to package %q; it should refer to none", pkg)
}

func (l noOtherPackages) LoadPackageV2(_ context.Context, descriptor *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(descriptor.Name, nil)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go run . <schema.json> <import path> <output directory>")
		os.Exit(2)
	}
	schemaFile, importPath, outDir := os.Args[1], os.Args[2], os.Args[3]
	text, err := os.ReadFile(schemaFile)
	check(err)
	var spec schema.PackageSpec
	check(json.Unmarshal(text, &spec))
	goInfo, err := json.Marshal(gogen.GoPackageInfo{ImportBasePath: importPath, RespectSchemaVersion: true})
	check(err)
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	spec.Language["go"] = schema.RawMessage(goInfo)

	pkg, diags, err := schema.BindSpec(spec, noOtherPackages{}, schema.ValidationOptions{})
	check(err)
	if diags.HasErrors() {
		check(fmt.Errorf("the schema does not bind: %s", diags.Error()))
	}
	files, err := gogen.GeneratePackage("kubeslice-ipam-go-sdk-gen", pkg, nil)
	check(err)
	for name, content := range files {
		target := filepath.Join(outDir, filepath.FromSlash(name))
		check(os.MkdirAll(filepath.Dir(target), 0o755))
		check(os.WriteFile(target, content, 0o644))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-sdk-gen:", err)
		os.Exit(1)
	}
}
