# One entry point for users, developers and CI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test install install-runtime lint engine e2e demo sandbox reliability bench readme-tables floor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs happen again only when pyproject.toml changes (stamp files in the venv).
$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.runtime-installed

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
test: lint
	$(BIN)/pytest -p no:cacheprovider -q

# The e2e tier alone (needs `make engine`).
e2e: install
	$(BIN)/pytest -p no:cacheprovider -q tests/e2e

# The fault scenarios: prints their table and writes build/reliability.json (README untouched).
reliability: install
	$(BIN)/pytest -p no:cacheprovider -q tests/reliability
	$(BIN)/python scripts/reliability_table.py

# Scale benchmarks (not a test): prints the tables and writes build/benchmarks.json (README untouched).
bench: install
	$(BIN)/python benchmarks/run.py

# The one target that rewrites README.md: its reliability and benchmark tables, from build/.
readme-tables: install
	$(BIN)/python scripts/reliability_table.py --readme
	$(BIN)/python benchmarks/run.py --readme-from build/benchmarks.json

sandbox: install-runtime
	$(BIN)/aep-sandbox

# The demo needs only the package itself (no dev tools).
demo: install-runtime
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) .pulumi-demo build *.egg-info .hypothesis .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
