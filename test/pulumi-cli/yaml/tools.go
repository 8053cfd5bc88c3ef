//go:build tools

// Pins the Pulumi YAML language host for end-to-end tests (see build.sh).
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
