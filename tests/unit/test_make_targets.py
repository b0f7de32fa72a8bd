"""What the manual says of the make targets (dry runs: `make -n` prints, runs nothing)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str, tmp_path: Path, *variables: str) -> str:
    """What ``make -n target VAR=value...`` would run."""
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed (apt-get install make)")
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-n", target, *variables, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_demo_installs_the_package_with_the_sandbox_and_data_extras_only(tmp_path: Path) -> None:
    out = _dry_run("demo", tmp_path)
    assert 'pip install --quiet -e ".[sandbox,data]"' in out and "[dev]" not in out
    assert "scripts/demo.py" in out


def test_plugin_writes_dist_and_takes_a_download_server(tmp_path: Path) -> None:
    out = _dry_run("plugin", tmp_path)
    assert "scripts/plugin.py --out dist" in out and "--server" not in out
    server = _dry_run("plugin", tmp_path, "PLUGIN_SERVER=https://example.test/aep")
    assert "scripts/plugin.py --out dist --server 'https://example.test/aep'" in server


def test_sdks_write_the_schema_they_are_made_from_and_take_the_same_server(tmp_path: Path) -> None:
    out = _dry_run("sdks", tmp_path)
    assert "> sdk/schema.json" in out and 'aep-sdkgen" sdk/schema.json sdk' in out
    assert "AEP_PULUMI_PLUGIN_SERVER" not in out
    server = _dry_run("sdks", tmp_path, "PLUGIN_SERVER=https://example.test/aep")
    assert "AEP_PULUMI_PLUGIN_SERVER='https://example.test/aep'" in server


@pytest.mark.parametrize("target", ["bench", "reliability"])
def test_bench_and_reliability_leave_the_docs_alone(target: str, tmp_path: Path) -> None:
    out = _dry_run(target, tmp_path)
    assert "--write-docs" not in out and "--tables-from" not in out


def test_bench_is_quick_unless_asked_for_the_full_run(tmp_path: Path) -> None:
    assert "--full" not in _dry_run("bench", tmp_path)
    full = _dry_run("bench", tmp_path, "FULL=1")
    assert "benchmarks/run.py --full" in full


def test_docs_tables_is_the_target_that_writes_the_tables(tmp_path: Path) -> None:
    out = _dry_run("docs-tables", tmp_path)
    assert "reliability_table.py --write-docs" in out
    assert "--tables-from build/benchmarks.json" in out


def test_clean_removes_the_tool_caches(tmp_path: Path) -> None:
    out = _dry_run("clean", tmp_path)
    for cache in (".hypothesis", ".mypy_cache", ".ruff_cache", "build"):
        assert cache in out
