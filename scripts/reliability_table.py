"""Render build/reliability.json (written by tests/reliability) as docs/reliability.md's table.

python scripts/reliability_table.py                # print the table
python scripts/reliability_table.py --write-docs   # replace the table in docs/reliability.md
python scripts/reliability_table.py --from FILE ... # another results file

A run of part of the suite (``-k``, one file) writes partial results: ``--write-docs`` refuses
them, and a missing file, and leaves the page alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- reliability-table:start -->", "<!-- reliability-table:end -->"


def render(results: list[dict[str, object]]) -> str:
    lines = [
        "| Fault | Where | Outcome | Datasets / jobs after | Duplicates | Orphans | Wrong adoptions "
        "| Finished exports deleted | Leaked secrets | Time (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        outcome = str(r["outcome"]).replace("|", "/")
        if len(outcome) > 200:
            outcome = outcome[:197] + "..."
        lines.append(
            f"| {r['fault']} | {r['where']} | {outcome} | {r['datasets_after']} / {r['jobs_after']} "
            f"| {r['duplicates']} | {_orphans(r)} | {r.get('wrong_adoptions', 0)} "
            f"| {r.get('finished_deleted', 0)} | {r['leaked_secrets']} | {r['seconds']} |"
        )
    return "\n".join(lines)


def _orphans(r: dict[str, object]) -> str:
    orphans, named = r["orphans"], r.get("orphans_named", 0)
    return f"{orphans} (named in the message)" if orphans and orphans == named else str(orphans)


def main(argv: list[str]) -> int:
    source = ROOT / "build" / "reliability.json"
    if "--from" in argv:
        source = Path(argv[argv.index("--from") + 1])
    if not source.is_file():
        print(f"no {source}: run `make reliability` first (nothing was rewritten)", file=sys.stderr)
        return 1
    results = json.loads(source.read_text(encoding="utf-8"))
    table = render(results["rows"])
    if "--write-docs" not in argv:
        print(table)
        return 0
    if not results.get("complete"):
        print(
            "build/reliability.json holds part of the suite: run `make reliability` "
            "(docs/reliability.md was not rewritten)",
            file=sys.stderr,
        )
        return 1
    doc = ROOT / "docs" / "reliability.md"
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    doc.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
