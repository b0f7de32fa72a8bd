"""The benchmarks' tables, rendered from the results ``run.py`` writes, and their one way into
``docs/performance.md`` (``--tables-from``, ``make docs-tables``).

:func:`render` is the markdown: one function per table, each reading its section of the
results (a section that was not measured renders as an empty table, or not at all for the
later, optional ones). Nothing here measures or imports the sandbox: rendering stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stats import fmt

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- benchmark-table:start -->", "<!-- benchmark-table:end -->"
TABLES_DOC = ROOT / "docs" / "performance.md"

Report = dict[str, Any]


def render(report: Report) -> str:
    """Every table of ``report``, in the order of ``docs/performance.md``."""
    return "\n".join(
        [
            *preamble(report),
            *scale_table(report),
            *requests_table(report),
            *notice_table(report),
            *naive_table(report),
            *modes_table(report),
            *engine_table(report),
            *download_table(report),
            *start_and_preview_table(report),
        ]
    )


def preamble(report: Report) -> list[str]:
    defaults = report["defaults"]
    return [
        f"Medians of {report['runs']} runs (min-max). Default polling (first poll after "
        f"{defaults['initial']} s, then {defaults['fraction']:.0%} of the time "
        "waited, at most "
        f"{defaults['max']} s) unless marked tuned."
    ]


def table(title: str, columns: list[str], rows: Iterable[list[str]]) -> list[str]:
    """One markdown table under its bold title (every table of the page has this shape)."""
    return [
        "",
        title,
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def scale_table(report: Report) -> list[str]:
    def row(r: Report) -> list[str]:
        m = r["measures"]
        return [
            str(r["n"]),
            f"{r['latency_ms']} ms",
            f"{r['duration']:g}",
            "yes" if r.get("files") else "no",
            fmt(m["wall"]),
            fmt(m["submit"]),
            str(r.get("target", "")),
            fmt(m["requests_per_job"]),
            fmt(m["notice"]),
        ]

    return table(
        "**Scale, batched** (N jobs with `wait_for_completion=false` + one `ProfileExportWait`; "
        "target `1.25 x wall(N=1) + N x latency / 4`, without file listing like the baseline; the "
        "row with files adds `report_files`: two more requests per job)",
        [
            "N",
            "latency",
            "D (s)",
            "files listed",
            "wall (s)",
            "submission (s)",
            "target (s)",
            "requests / job",
            "notice delay (s)",
        ],
        map(row, report.get("scale", [])),
    )


def requests_table(report: Report) -> list[str]:
    return table(
        "**HTTP requests per job** (N = 50, every AEP call including the POST; target <= 1.2)",
        ["listing holds", "D (s)", "requests / job"],
        (
            [r["label"], f"{r['duration']:g}", fmt(r["measures"]["requests_per_job"])]
            for r in report.get("requests", [])
        ),
    )


def notice_table(report: Report) -> list[str]:
    return table(
        "**Notice delay** (job end to deploy noticing it; target max(2 s, 25 % of D))",
        ["D (s)", "target (s)", "blocking job (s)", "ProfileExportWait (s)"],
        (
            [
                f"{r['duration']:g}",
                f"{max(2.0, 0.25 * r['duration']):g}",
                fmt(r["measures"]["blocking"]),
                fmt(r["measures"]["wait"]),
            ]
            for r in report.get("notice", [])
        ),
    )


def naive_table(report: Report) -> list[str]:
    return table(
        "**Against a naive script** (POST, then GET every 5 s), D = 4 s, same timing",
        ["jobs", "aep-pulumi batched (s)", "naive sequential (s)", "naive threaded (s)"],
        (
            [
                str(r["n"]),
                fmt(r["ours"]["wall"]),
                fmt(r["sequential"]["wall"]),
                fmt(r["threaded"]["wall"]),
            ]
            for r in report.get("naive", [])
        ),
    )


def modes_table(report: Report) -> list[str]:
    return table(
        "**Blocking vs batched**, N = 12, D = 4 s",
        ["polling", "blocking wall (s)", "batched wall (s)"],
        (
            [r["polling"], fmt(r["blocking"]["wall"]), fmt(r["batched"]["wall"])]
            for r in report.get("modes", [])
        ),
    )


def engine_table(report: Report) -> list[str]:
    if not report.get("engine"):
        return []

    def row(r: Report) -> list[str]:
        # Each row is read against N = 1 of its own door and settings.
        one = next(
            o
            for o in report["engine"]
            if o["door"] == r["door"] and o["tuned"] == r["tuned"] and o["n"] == 1
        )
        ratio = r["measures"]["wall"]["median"] / one["measures"]["wall"]["median"]
        settings = "tuned" if r["tuned"] else "default"
        return [
            r["door"],
            settings,
            str(r["n"]),
            fmt(r["measures"]["wall"]),
            f"{ratio:.2f}",
            fmt(r["measures"]["requests_per_job"]),
        ]

    doors = {"native": 0, "dynamic": 1}
    return table(
        "**Through the real engine** (`pulumi up`, file backend): N batched exports, "
        "100 ms latency, the scale section's D; tuned: `PULUMI_PARALLEL=64 "
        "PULUMI_SKIP_CHECKPOINTS=true` (the engine's own knobs)",
        [
            "door",
            "engine settings",
            "N",
            "wall (s)",
            "x wall(N=1) (target <= 1.25)",
            "requests / job",
        ],
        map(row, sorted(report["engine"], key=lambda r: (doors[r["door"]], r["tuned"], r["n"]))),
    )


def download_table(report: Report) -> list[str]:
    if not report.get("download"):
        return []
    d = report["download"]
    return table(
        f"**Download** of one export batch ({fmt(d['megabytes'], 0)} MB: 4 files, 1 part each) "
        "from the sandbox, 4 parts at once on both sides",
        [
            "aep-export download (MB/s)",
            "curl --parallel (MB/s)",
            "ratio (target >= 0.8)",
            "downloader peak memory (MB; target <= 100)",
        ],
        [[fmt(d["ours_mb_s"], 0), fmt(d["curl_mb_s"], 0), fmt(d["ratio"]), fmt(d["peak_mb"], 0)]],
    )


def start_and_preview_table(report: Report) -> list[str]:
    """Cold start and preview; rendered only when both were measured (``engine_preview`` is a
    row of this table, so without them it is not shown either)."""
    if "cold_start" not in report or "preview" not in report:
        return []
    c, p = report["cold_start"], report["preview"]
    out = [
        "",
        "| Measure | Value | Target |",
        "|---|---|---|",
        f'| `python -c "import pulumi"` to its first printed line | {fmt(c["import_pulumi"], 3)} s | |',
        f"| provider host spawn to its first Check answer | {fmt(c['provider'], 3)} s ({fmt(c['ratio'])} x) | <= 1.2 x |",
        f"| preview of {p['count']} resources (Check + Diff) | {fmt(p['measures']['seconds'])} s, "
        f"{int(p['measures']['http_calls']['max'])} HTTP calls | 0 calls |",
    ]
    if report.get("engine_preview"):
        e = report["engine_preview"]
        out.append(
            f"| `pulumi preview` of {e['count']} exports through the real engine (no credentials) "
            f"| {fmt(e['measures']['seconds'])} s, {int(e['measures']['http_calls']['max'])} "
            "HTTP calls | 0 calls |"
        )
    return out


def replace_tables_block(table: str, doc: Path = TABLES_DOC) -> None:
    """Replace what lies between ``doc``'s START and END markers with ``table``; nothing else
    of the page changes."""
    text = doc.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{doc} has no {START} ... {END} block to replace")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    doc.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")


def documented_results(path: Path) -> Report:
    """The results ``--tables-from`` may publish: a full run that finished."""
    if not path.is_file():
        raise SystemExit(f"no {path}: run `make bench FULL=1` first (nothing was rewritten)")
    report: Report = json.loads(path.read_text(encoding="utf-8"))
    if not report.get("complete"):
        raise SystemExit(f"{path} holds a partial run: nothing was rewritten")
    if report.get("mode") != "full":
        raise SystemExit(
            f"{path} holds a quick run (run `make bench FULL=1`): nothing was rewritten"
        )
    return report
