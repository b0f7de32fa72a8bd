"""The one target that rewrites tracked files refuses missing, partial or quick results and
leaves the pages alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "performance.md", ROOT / "docs" / "reliability.md"]


def _untouched(action: object) -> str:
    before = [p.read_bytes() for p in PAGES]
    done = action()  # type: ignore[operator]
    assert [p.read_bytes() for p in PAGES] == before, "a page was rewritten"
    assert done.returncode != 0
    return str(done.stderr)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no "),
        ({"complete": False, "mode": "full"}, "partial run"),
        ({"complete": True, "mode": "quick"}, "quick run"),
    ],
)
def test_bench_tables_refuse_what_is_not_a_finished_full_run(
    tmp_path: Path, content: dict[str, object] | None, says: str
) -> None:
    results = tmp_path / "benchmarks.json"
    if content is not None:
        results.write_text(json.dumps(content), encoding="utf-8")
    err = _untouched(
        lambda: subprocess.run(
            [sys.executable, "benchmarks/run.py", "--tables-from", str(results)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    )
    assert says in err and "nothing was rewritten" in err


@pytest.mark.parametrize(
    ("content", "says"), [(None, "no "), ({"complete": False, "rows": []}, "part")]
)
def test_reliability_table_refuses_missing_or_partial_results(
    tmp_path: Path, content: dict[str, object] | None, says: str
) -> None:
    results = tmp_path / "reliability.json"
    if content is not None:
        results.write_text(json.dumps(content), encoding="utf-8")
    err = _untouched(
        lambda: subprocess.run(
            [
                sys.executable,
                "scripts/reliability_table.py",
                "--write-docs",
                "--from",
                str(results),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    )
    assert says in err and ("not rewritten" in err or "nothing was rewritten" in err)
