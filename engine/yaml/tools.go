//go:build tools

// Package tools names the main package this module builds (`make engine` runs
// `go build github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml`).
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
