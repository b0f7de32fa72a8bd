// Command aep-sdkgen writes the `aep` package's TypeScript, Python and Go SDKs from its schema
// (`make sdks`). It calls Pulumi's own code generators (pkg/v3/codegen) directly: `pulumi
// package gen-sdk` reaches them through language hosts that the Go module proxy does not serve.
//
//	aep-sdkgen SCHEMA.json OUT_DIR
//
// The schema asks for `respectSchemaVersion` in each language, so the generators write its
// version and `pluginDownloadURL` into every SDK (package.json's `pulumi` block, the Python
// SDK's pulumi-plugin.json and setup.py, the Go SDK's default resource options); this fills in
// the one place they leave empty, the Go SDK's `SdkVersion` (see goVersion). The TypeScript SDK
// is an npm package that loads (see npmPackage).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
			if language == "go" {
				if content, err = goVersion(name, content, spec.Version, spec.PluginDownloadURL); err != nil {
					return fmt.Errorf("go: %s: %w", name, err)
				}
			}
			if language == "nodejs" && strings.HasSuffix(name, ".ts") {
				content = withUnknownInputsPassed(content)
			}
			if language == "nodejs" && name == "package.json" {
				if content, err = loadablePackage(content); err != nil {
					return fmt.Errorf("nodejs: package.json: %w", err)
				}
			}
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

// goVersion fills in the Go SDK's internal/pulumiVersion.go, which the Go generator writes empty
// whatever the schema says: `SdkVersion` is what the SDK's init registers its package and module
// under (internal.PkgVersion: empty, it guesses v1 from the module path), and `pluginDownloadURL`
// is kept equal to the schema's.
func goVersion(name string, content []byte, version, server string) ([]byte, error) {
	if filepath.Base(name) != "pulumiVersion.go" {
		return content, nil
	}
	text := string(content)
	for empty, filled := range map[string]string{
		"var SdkVersion semver.Version = semver.Version{}": fmt.Sprintf(
			"var SdkVersion semver.Version = semver.MustParse(%q)", version),
		`var pluginDownloadURL string = ""`: fmt.Sprintf("var pluginDownloadURL string = %q", server),
	} {
		if !strings.Contains(text, empty) {
			return nil, fmt.Errorf("the generator no longer writes %q", empty)
		}
		text = strings.Replace(text, empty, filled, 1)
	}
	return []byte(text), nil
}

// constructorArgs finds the name a generated TypeScript resource gives its arguments.
var constructorArgs = regexp.MustCompile(`constructor\(name: string, (\w+)\??: `)

// mergeDefaults is the generated constructor's line after it has filled its inputs.
const mergeDefaults = "        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);\n"

// withUnknownInputsPassed makes a TypeScript resource send the inputs it does not know as they
// were written. The generated constructor copies only the schema's inputs, so a misspelt one
// from JavaScript (or from TypeScript through `any`) vanished silently and the resource ran
// without it; sent on, the plugin's check refuses it by name, with the closest input, as it does
// for every language.
func withUnknownInputsPassed(content []byte) []byte {
	text := string(content)
	found := constructorArgs.FindStringSubmatch(text)
	if found == nil || strings.Count(text, mergeDefaults) != 1 {
		return content
	}
	passed := fmt.Sprintf(`        // Inputs this SDK does not know (JavaScript, or TypeScript through `+"`any`"+`) go to the
        // plugin as written: its check refuses them, naming the closest input (aep-sdkgen).
        for (const [key, value] of Object.entries(%s ?? {})) {
            if (!(key in resourceInputs)) {
                resourceInputs[key] = value;
            }
        }
`, found[1])
	return []byte(strings.Replace(text, mergeDefaults, passed+mergeDefaults, 1))
}

// npmPackage is the package.json Pulumi's TypeScript generator writes (its fields, in its order),
// with the three fields that make the package load where it is installed.
type npmPackage struct {
	Name             string            `json:"name"`
	Version          string            `json:"version"`
	Type             string            `json:"type,omitempty"`
	Description      string            `json:"description,omitempty"`
	Keywords         []string          `json:"keywords,omitempty"`
	Homepage         string            `json:"homepage,omitempty"`
	Repository       string            `json:"repository,omitempty"`
	License          string            `json:"license,omitempty"`
	Main             string            `json:"main,omitempty"`
	Types            string            `json:"types,omitempty"`
	Files            []string          `json:"files,omitempty"`
	Scripts          map[string]string `json:"scripts,omitempty"`
	Dependencies     map[string]string `json:"dependencies,omitempty"`
	DevDependencies  map[string]string `json:"devDependencies,omitempty"`
	PeerDependencies map[string]string `json:"peerDependencies,omitempty"`
	Resolutions      map[string]string `json:"resolutions,omitempty"`
	Pulumi           json.RawMessage   `json:"pulumi,omitempty"`
}

// loadablePackage makes the generated package.json a package that `require` finds once
// installed: the generator leaves out `main` and `types` (its TypeScript compiles to bin/, which
// its .gitignore, and so `npm pack`, leaves out) and compiles nothing on install. `prepare` (run
// by `npm install` in the SDK's folder and by `npm pack`) compiles it and copies package.json
// into bin/, where the generated utilities read the package's version; `files` packs bin/.
func loadablePackage(content []byte) ([]byte, error) {
	decoder := json.NewDecoder(bytes.NewReader(content))
	decoder.DisallowUnknownFields() // a field this does not know would be dropped
	var pkg npmPackage
	if err := decoder.Decode(&pkg); err != nil {
		return nil, err
	}
	pkg.Main = "bin/index.js"
	pkg.Types = "bin/index.d.ts"
	pkg.Files = []string{"bin/"}
	if pkg.Scripts == nil {
		pkg.Scripts = map[string]string{}
	}
	pkg.Scripts["prepare"] = "tsc && node -e \"require('fs').copyFileSync('package.json', 'bin/package.json')\""
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	encoder.SetIndent("", "    ")
	if err := encoder.Encode(pkg); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
