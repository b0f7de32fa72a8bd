"""What the manual says of the make targets (dry runs: `make -n` prints, runs nothing)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str, tmp_path: Path) -> str:
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed (apt-get install make)")
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_demo_installs_the_package_alone(tmp_path: Path) -> None:
    out = _dry_run("demo", tmp_path)
    assert "pip install --quiet -e ." in out and "[dev]" not in out
    assert "scripts/demo.py" in out


@pytest.mark.parametrize("target", ["bench", "reliability"])
def test_bench_and_reliability_leave_the_docs_alone(target: str, tmp_path: Path) -> None:
    out = _dry_run(target, tmp_path)
    assert "--write-docs" not in out and "--tables-from" not in out


def test_bench_is_quick_unless_asked_for_the_full_run(tmp_path: Path) -> None:
    assert "--full" not in _dry_run("bench", tmp_path)
    venv = tmp_path / "venv"
    full = subprocess.run(
        ["make", "-n", "bench", "FULL=1", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "benchmarks/run.py --full" in full


def test_docs_tables_is_the_target_that_writes_the_tables(tmp_path: Path) -> None:
    out = _dry_run("docs-tables", tmp_path)
    assert "reliability_table.py --write-docs" in out
    assert "--tables-from build/benchmarks.json" in out


def test_clean_removes_the_tool_caches(tmp_path: Path) -> None:
    out = _dry_run("clean", tmp_path)
    for cache in (".hypothesis", ".mypy_cache", ".ruff_cache", "build"):
        assert cache in out
