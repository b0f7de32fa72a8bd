//go:build tools

// Package tools names the main package this module builds, so that `go mod tidy` keeps its
// requirements (`make engine` runs `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`).
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
