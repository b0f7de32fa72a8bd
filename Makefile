# One entry point for users, developers and CI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test install lint demo sandbox reliability bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The whole suite: lint, types, unit, program (Pulumi mocks) and integration (provider host + sandbox).
test: lint
	$(BIN)/pytest -p no:cacheprovider -q

# Re-run the fault scenarios and refresh the README's reliability table.
reliability: install
	$(BIN)/pytest -p no:cacheprovider -q tests/reliability
	$(BIN)/python scripts/reliability_table.py --readme

# Scale benchmarks (not a test): prints the README's performance table, writes build/benchmarks.json.
bench: install
	$(BIN)/python benchmarks/run.py --readme

sandbox: install
	$(BIN)/aep-sandbox

demo: install
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) .pulumi-demo build *.egg-info
