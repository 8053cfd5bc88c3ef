//go:build tools

// Package tools pins the Pulumi CLI (engine) that the end-to-end tests build
// from the Go module proxy. It is never compiled into anything; build.sh runs
// `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` against this module.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
