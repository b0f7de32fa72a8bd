// Command aep-sdkgen writes the `aep` package's TypeScript, Python and Go SDKs from its schema
// (`make sdks`). It calls Pulumi's own code generators (pkg/v3/codegen) directly: `pulumi
// package gen-sdk` reaches them through language hosts that the Go module proxy does not serve.
//
//	aep-sdkgen SCHEMA.json OUT_DIR
//
// The SDKs carry the schema's version (the generators leave placeholders for a release build).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noPackages loads no other package: the aep schema refers to none (pulumi.json#/Any is
// built in).
type noPackages struct{}

func (noPackages) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the aep schema refers to no other package (asked for %q)", name)
}

func (noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("the aep schema refers to no other package (asked for %q)", d.Name)
}

func (noPackages) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the aep schema refers to no other package (asked for %q)", name)
}

func (noPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the aep schema refers to no other package (asked for %q)", d.Name)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: aep-sdkgen SCHEMA.json OUT_DIR")
		os.Exit(2)
	}
	if err := generate(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "aep-sdkgen:", err)
		os.Exit(1)
	}
}

func generate(schemaPath, outDir string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("the schema does not bind: %v", diags)
	}
	const tool = "aep-sdkgen"
	generators := map[string]func() (map[string][]byte, error){
		"nodejs": func() (map[string][]byte, error) {
			return nodejs.GeneratePackage(tool, pkg, nil, nil, false, noPackages{})
		},
		"python": func() (map[string][]byte, error) {
			return python.GeneratePackage(tool, pkg, nil, noPackages{})
		},
		"go": func() (map[string][]byte, error) { return gogen.GeneratePackage(tool, pkg, nil) },
	}
	for _, language := range []string{"nodejs", "python", "go"} {
		files, err := generators[language]()
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		root := filepath.Join(outDir, language)
		if err := os.RemoveAll(root); err != nil {
			return err
		}
		for name, content := range files {
			content = withVersion(name, content, spec.Version)
			path := filepath.Join(root, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, content, 0o644); err != nil {
				return err
			}
		}
		fmt.Printf("%s: %d files in %s\n", language, len(files), root)
	}
	return nil
}

// withVersion fills in the version placeholders the generators leave for a release build.
func withVersion(name string, content []byte, version string) []byte {
	text := string(content)
	switch filepath.Base(name) {
	case "package.json":
		text = strings.ReplaceAll(text, "${VERSION}", version)
	case "setup.py":
		text = strings.Replace(text, `VERSION = "0.0.0"`, fmt.Sprintf("VERSION = %q", version), 1)
	}
	return []byte(text)
}
