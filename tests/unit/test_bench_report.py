"""The benchmarks' tables (``benchmarks/report.py``) render from a results file alone: every
section's table from a synthesised report, in the page's order, and the page's block replaced
with nothing else of it touched. No benchmark runs; nothing is written into the checkout."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """``benchmarks/report.py`` as ``run.py`` imports it (``benchmarks/`` first on the path),
    without bytecode written beside it, and gone from ``sys.modules`` afterwards."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for name in ("report", "stats"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module("report")
    assert Path(str(module.__file__)).parent == BENCHMARKS
    yield module
    for name in ("report", "stats"):
        sys.modules.pop(name, None)


def stat(median: float, low: float | None = None, high: float | None = None) -> dict[str, float]:
    return {
        "median": median,
        "min": median if low is None else low,
        "max": median if high is None else high,
    }


def engine_row(door: str, tuned: bool, n: int, wall: float) -> dict[str, Any]:
    measures = {"wall": stat(wall), "requests_per_job": stat(1.5)}
    return {"door": door, "tuned": tuned, "n": n, "measures": measures}


def all_sections() -> dict[str, Any]:
    """A finished full run's results, every section measured, in the shape ``run.py`` writes."""
    scale = {
        "wall": stat(35.96, 35.72, 36.06),
        "submit": stat(13.94),
        "requests_per_job": stat(3.18),
    }
    return {
        "runs": 3,
        "defaults": {"initial": 1.8, "fraction": 0.24, "max": 30.0},
        "scale": [
            {
                "n": 1,
                "latency_ms": 100,
                "duration": 20.0,
                "target": "25.93",
                "measures": {**scale, "wall": stat(20.73), "notice": stat(0.62)},
            },
            {
                "n": 500,
                "latency_ms": 100,
                "duration": 20.0,
                "files": True,
                "measures": {**scale, "notice": stat(2.0, 1.99, 2.13)},
            },
        ],
        "requests": [
            {"label": "our jobs", "duration": 4.0, "measures": {"requests_per_job": stat(1.1)}}
        ],
        "notice": [{"duration": 120.0, "measures": {"blocking": stat(3.0), "wait": stat(4.0)}}],
        "naive": [
            {
                "n": 12,
                "ours": {"wall": stat(5.5)},
                "sequential": {"wall": stat(62.0)},
                "threaded": {"wall": stat(5.9, 5.8, 6.1)},
            },
        ],
        "modes": [
            {"polling": "default", "blocking": {"wall": stat(6)}, "batched": {"wall": stat(5)}}
        ],
        "engine": [
            engine_row("dynamic", False, 1, 10.0),
            engine_row("native", True, 500, 30.0),
            engine_row("native", False, 500, 60.0),
            engine_row("native", False, 1, 20.0),
            engine_row("native", True, 1, 15.0),
            engine_row("dynamic", False, 500, 40.0),
        ],
        "engine_preview": {
            "count": 1000,
            "measures": {"seconds": stat(9.5), "http_calls": stat(0)},
        },
        "cold_start": {"import_pulumi": stat(0.412), "provider": stat(0.45), "ratio": stat(1.09)},
        "preview": {"count": 1000, "measures": {"seconds": stat(2.5), "http_calls": stat(0)}},
        "download": {
            "megabytes": stat(218.1),
            "ours_mb_s": stat(300.4),
            "curl_mb_s": stat(310.0),
            "ratio": stat(0.97),
            "peak_mb": stat(61.2),
        },
        "mode": "full",
        "complete": True,
    }


def test_every_section_renders_its_table_in_the_pages_order(report: ModuleType) -> None:
    lines = report.render(all_sections()).splitlines()
    assert lines[0].startswith("Medians of 3 runs (min-max). Default polling (first poll after 1.8")
    assert "then 24% of the time waited, at most 30.0 s" in lines[0]
    headings = [line.split("**")[1] for line in lines if line.startswith("**")]
    assert headings == [
        "Scale, batched",
        "HTTP requests per job",
        "Notice delay",
        "Against a naive script",
        "Blocking vs batched",
        "Through the real engine",
        "Download",
    ]
    assert (
        "| 500 | 100 ms | 20 | yes | 35.96 (35.72-36.06) | 13.94 |  | 3.18 | 2.00 (1.99-2.13) |"
        in lines
    )
    assert "| 120 | 30 | 3.00 | 4.00 |" in lines  # the target is 25 % of D past 8 s
    assert "| 12 | 5.50 | 62.00 | 5.90 (5.80-6.10) |" in lines
    # Native first, the engine's defaults before tuned, each read against its own N = 1.
    engine = [line for line in lines if line.startswith(("| native |", "| dynamic |"))]
    assert engine == [
        "| native | default | 1 | 20.00 | 1.00 | 1.50 |",
        "| native | default | 500 | 60.00 | 3.00 | 1.50 |",
        "| native | tuned | 1 | 15.00 | 1.00 | 1.50 |",
        "| native | tuned | 500 | 30.00 | 2.00 | 1.50 |",
        "| dynamic | default | 1 | 10.00 | 1.00 | 1.50 |",
        "| dynamic | default | 500 | 40.00 | 4.00 | 1.50 |",
    ]
    assert "| 300 | 310 | 0.97 | 61 |" in lines
    assert "| Measure | Value | Target |" in lines
    assert any(line.startswith("| `pulumi preview` of 1000 exports") for line in lines)
    assert lines[-1].endswith("| 9.50 s, 0 HTTP calls | 0 calls |")


def test_the_optional_tables_are_left_out_when_not_measured(report: ModuleType) -> None:
    results = all_sections()
    for section in ("engine", "download", "preview"):
        del results[section]
    text = report.render(results)
    assert "**Blocking vs batched**" in text
    # engine_preview is a row of the cold start and preview table: it goes with it.
    for left_out in (
        "**Through the real engine**",
        "**Download**",
        "| Measure |",
        "`pulumi preview`",
    ):
        assert left_out not in text


def test_the_tables_block_is_replaced_and_nothing_else(report: ModuleType, tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text(f"intro\n{report.START}\nold table\n{report.END}\noutro\n", encoding="utf-8")
    report.replace_tables_block("new table", doc=page)
    assert page.read_text(encoding="utf-8") == (
        f"intro\n{report.START}\nnew table\n{report.END}\noutro\n"
    )
    page.write_text("no block here\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"no .* block to replace"):
        report.replace_tables_block("new table", doc=page)
    assert page.read_text(encoding="utf-8") == "no block here\n"
