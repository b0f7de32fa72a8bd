# One entry point for users, developers and CI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test install install-runtime lint engine sdks plugin e2e demo sandbox reliability bench docs-tables reference floor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs happen again only when pyproject.toml changes (stamp files in the venv). The package
# alone is what the plugin and the dynamic door need; the sandbox and the data tools are extras.
$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.tools-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[sandbox,data]"
	touch $@ $(VENV)/.runtime-installed

$(VENV)/.dev-installed: pyproject.toml sdk/python/setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# The generated SDK of the native provider, for its Python example and tests.
	$(BIN)/python -m pip install --quiet -e sdk/python
	touch $@ $(VENV)/.runtime-installed $(VENV)/.tools-installed

install-runtime: $(VENV)/.runtime-installed
install: $(VENV)/.dev-installed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The Pulumi CLI and the YAML language host, from the Go module proxy (pinned in engine/), cached
# in ~/.cache/aep-pulumi/engine; a compatible `pulumi` on PATH is used as it is. The last line of
# its output is the folder that holds `pulumi`.
engine:
	@$(PYTHON) scripts/engine.py

# The whole suite: lint, types, unit, program (engine mocks), integration (provider host +
# sandbox), reliability, and e2e (the real CLI; skipped, saying how to get one, without an engine).
# The engine is the build for this checkout's pins (`make engine`), not whichever build of the
# cache is newest (another checkout's may be).
ENGINE_FOR_CHECKOUT = AEP_PULUMI_ENGINE="$$($(PYTHON) scripts/engine.py --find 2>/dev/null | tail -n 1)"

test: lint
	$(ENGINE_FOR_CHECKOUT) $(BIN)/pytest -p no:cacheprovider -q

# A build's own plugin download server (the schema's pluginDownloadURL, which every SDK carries
# and the plugin's schema names), for `make sdks` and `make plugin`; empty: the package's own
# (aep_pulumi/version.py, the GitHub releases of the schema's repository). docs/install.md.
PLUGIN_SERVER ?=
WITH_SERVER = $(if $(PLUGIN_SERVER),AEP_PULUMI_PLUGIN_SERVER='$(PLUGIN_SERVER)')

# The `aep` package's schema (sdk/schema.json, committed: a test keeps it equal to what the plugin
# serves) and its SDKs (sdk/nodejs, sdk/python, sdk/go), which come from the core's description of
# the resources. The one target that rewrites sdk/. The schema's `respectSchemaVersion` writes
# the version and the download server into each SDK; aep-sdkgen (engine/cli/sdkgen) fills in the
# Go SDK's SdkVersion, and makes sdk/nodejs an npm package that loads once installed (main/types
# in bin/, bin/ packed, compiled by its `prepare` script): docs/native.md.
sdks: install-runtime
	$(WITH_SERVER) $(BIN)/python -c "from aep_pulumi.native.schema import schema_json; print(schema_json())" > sdk/schema.json
	"$$($(PYTHON) scripts/engine.py | tail -n 1)/aep-sdkgen" sdk/schema.json sdk
	# The Go SDK is a module of its own (pinned to the CLI's Pulumi SDK version).
	cd sdk/go && go mod init github.com/aep-pulumi/aep-pulumi/sdk/go >/dev/null 2>&1 && \
		go mod edit -require=github.com/pulumi/pulumi/sdk/v3@v3.274.1 && GOFLAGS=-mod=mod go mod tidy

# The plugin's release: dist/pulumi-resource-aep-v<version>-<os>-<arch>.tar.gz for linux, darwin
# and windows on amd64 and arm64 (the same PulumiPlugin.yaml, __main__.py and requirements.txt
# pinning this version in each) and the package's wheel (scripts/plugin.py; docs/install.md).
plugin: | $(BIN)/python
	$(BIN)/python scripts/plugin.py --out dist $(if $(PLUGIN_SERVER),--server '$(PLUGIN_SERVER)')

# The e2e tier alone (needs `make engine`).
e2e: install
	$(ENGINE_FOR_CHECKOUT) $(BIN)/pytest -p no:cacheprovider -q tests/e2e

# The fault scenarios: prints their table and writes build/reliability.json (docs untouched).
reliability: install
	$(BIN)/pytest -p no:cacheprovider -q tests/reliability
	$(BIN)/python scripts/reliability_table.py

# Benchmarks (not a test): prints the tables and writes build/benchmarks.json (docs untouched).
# Quick by default (a few minutes on 2 cores); `make bench FULL=1` is the documented run (about
# an hour on 2 cores, the real engine included).
bench: install
	$(BIN)/python benchmarks/run.py $(if $(FULL),--full)

# The one target that rewrites docs/resources.md's reference tables, from the core's schema.
reference: install-runtime
	$(BIN)/python scripts/reference.py --write

# The one target that rewrites tracked files: the tables of docs/reliability.md and
# docs/performance.md, from a finished `make reliability` and `make bench FULL=1` (each refuses
# missing or partial results and leaves its page alone).
docs-tables: install
	$(BIN)/python scripts/reliability_table.py --write-docs
	$(BIN)/python benchmarks/run.py --tables-from build/benchmarks.json

sandbox: $(VENV)/.tools-installed
	$(BIN)/aep-sandbox

# The demo needs the package with its sandbox and data extras (no dev tools).
demo: $(VENV)/.tools-installed
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) .pulumi-demo build dist *.egg-info .hypothesis .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
