"""Scale benchmarks through Pulumi's real provider host against aep-sandbox (``make bench``).

    python benchmarks/run.py [--full] [--runs N] [--only SECTIONS] [--out build/benchmarks.json]
    python benchmarks/run.py --tables-from build/benchmarks.json   # docs/performance.md's table

The default is a quick run (small N and D, one run each: a few minutes on 2 cores), to see that
everything works; ``--full`` is the documented one (N up to 500, D = 20 s, medians of 3 runs:
about an hour on 2 cores). Progress goes to stderr, and the JSON is rewritten after every
section, marked complete only at the end: an interrupted run leaves its partial results, which
``--tables-from`` refuses, as it refuses a quick run's.

Every figure is the median of ``--runs`` runs, with the min-max range, measured in one run of
this script on one machine. Each run starts a fresh provider host (as each ``pulumi up`` does)
and a fresh sandbox with per-request latency (jitter included), other clients' jobs in the
listings, and job duration D. The sandbox does not validate against the specs here: that is the
fake server's own CPU cost, and on a 2-core machine it would be charged to the client.

Sections:
- scale: N batched jobs (``wait_for_completion=false`` + one ``ProfileExportWait``), default
  polling, 100 ms latency, D = 20 s, N up to 500, against the target
  ``1.25 x wall(N=1) + N x latency / 4`` (each create POSTs once; the host runs 4 at a time);
- no latency: the same at D = 4 s;
- requests: HTTP requests per job (every AEP call: POSTs, listings, GETs; not IMS) at N = 50,
  with and without 100 newer jobs of another client;
- notice: the delay between a job's end and the deploy noticing it, for D in {2, 10, 30, 120} s,
  for a blocking job and for ``ProfileExportWait`` (default polling);
- blocking vs batched at N = 12, default and tuned (0.5 s / 2 s) polling;
- naive: a script that POSTs and then GETs every 5 s, sequential and threaded, timed the same
  way (first POST to last SUCCEEDED seen) as one and twelve batched jobs;
- engine: `pulumi up` through the real engine, both doors, N = 1 and 500 (engine defaults and
  tuned), N = 100 on the defaults (``engine_mid``), and `pulumi preview` of 1,000 exports
  (``engine_preview``);
- cold start: ``python -c "import pulumi"`` and the provider host, both timed from spawn to
  their first useful answer (a printed line; a Check answer), both from warm bytecode caches
  (as after a first run; this matters where ``PYTHONDONTWRITEBYTECODE`` is set);
- preview: Check + Diff of 1,000 resources and the HTTP calls they make;
- download: a batch of at least 200 MB (4 files of 1 part) through ``aep-export download``
  (4 at once), against ``curl`` fetching the same parts (4 at once) in the same run, and the
  downloader's peak memory.

It writes ``build/benchmarks.json`` and prints the tables. It never rewrites a tracked file
unless given ``--tables-from`` (``make docs-tables``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from engine_scenarios import ENGINE_TUNED, engine_preview, engine_up
from report import ROOT, TABLES_DOC, documented_results, render, replace_tables_block
from scenarios import batched, blocking, cold_start, download, naive, notice_both, preview_cost
from stats import Stat, repeat

from aep_pulumi.config import DEFAULT_POLL_INITIAL, DEFAULT_POLL_MAX
from aep_pulumi.core.waiter import DEFAULT_FRACTION


@dataclass
class Run:
    """One run of this script: what it measures, and the results written as they come."""

    report: dict[str, Any]
    out: Path
    runs: int
    quick: bool
    started: float

    @property
    def scale_d(self) -> float:
        """D of the scale section, which the engine section shares."""
        return 2.0 if self.quick else 20.0

    def save(self, complete: bool) -> None:
        self.report["complete"] = complete
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(json.dumps(self.report, indent=2), encoding="utf-8")

    def log(self, message: str) -> None:
        # What is measured so far is on disk before each step: an interrupted run keeps it.
        self.save(False)
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed / 60:5.1f} min] {message}", file=sys.stderr, flush=True)

    def measure(self, measure: Callable[[], dict[str, float]]) -> dict[str, Stat]:
        """``measure``'s figures over the run's ``--runs``."""
        return repeat(self.runs, measure)


def measure_scale(run: Run) -> None:
    ns = [1, 10] if run.quick else [1, 50, 200, 500]
    for latency, duration in ((100, run.scale_d), (0, 1.0 if run.quick else 4.0)):
        for n in ns:
            run.log(f"scale: N={n} latency={latency} ms D={duration}")
            measures = run.measure(partial(batched, n, duration, latency))
            run.report["scale"].append(
                {"n": n, "latency_ms": latency, "duration": duration, "measures": measures}
            )
        if latency:
            n = ns[-1]
            run.log(f"scale: N={n} latency={latency} ms D={duration}, files listed")
            measures = run.measure(partial(batched, n, duration, latency, files=True))
            run.report["scale"].append(
                {
                    "n": n,
                    "latency_ms": latency,
                    "duration": duration,
                    "measures": measures,
                    "files": True,
                }
            )
            scale_targets(run.report["scale"], latency)


def scale_targets(rows: list[dict[str, Any]], latency: int) -> None:
    """The issue's target, for the rows with network latency (not the one listing files):
    ``1.25 x wall(N=1) + N x latency / 4``."""
    first = next(r for r in rows if r["latency_ms"] == latency and r["n"] == 1)
    for row in rows:
        if row["latency_ms"] == latency and not row.get("files"):
            target = 1.25 * first["measures"]["wall"]["median"] + row["n"] * latency / 1000 / 4
            row["target"] = f"{target:.2f}"


def measure_requests(run: Run) -> None:
    n = 10 if run.quick else 50
    rows = (
        (0, "our jobs (+ 20 older of another client)"),
        (100, "+ 100 newer jobs of another client"),
    )
    for duration in (4.0,) if run.quick else (4.0, 20.0):
        for foreign, label in rows:
            run.log(f"requests: N={n} D={duration} foreign newer={foreign}")
            measure = partial(batched, n, duration, 0, foreign_newer=foreign)
            run.report["requests"].append(
                {"label": label, "duration": duration, "measures": run.measure(measure)}
            )


def measure_notice(run: Run) -> None:
    for duration in [2.0] if run.quick else [2.0, 10.0, 30.0, 120.0]:
        run.log(f"notice: D={duration}")
        run.report["notice"].append(
            {"duration": duration, "measures": run.measure(partial(notice_both, duration))}
        )


def measure_naive(run: Run) -> None:
    for n in (1, 12):
        run.log(f"naive: N={n}")
        run.report["naive"].append(
            {
                "n": n,
                "ours": run.measure(partial(batched, n, 4.0, 0)),
                "sequential": run.measure(partial(naive, n, 4.0, threaded=False)),
                "threaded": run.measure(partial(naive, n, 4.0, threaded=True)),
            }
        )


def measure_modes(run: Run) -> None:
    for tuned in (False, True):
        run.log(f"modes: tuned={tuned}")
        run.report["modes"].append(
            {
                "polling": "tuned (0.5 s / 2 s)" if tuned else "default",
                "blocking": run.measure(partial(blocking, 12, 4.0, 0, tuned=tuned)),
                "batched": run.measure(partial(batched, 12, 4.0, 0, tuned=tuned)),
            }
        )


def measure_engine(run: Run) -> None:
    for door in ("native", "dynamic"):
        for tuned in (False, True):
            for n in [1, 10] if run.quick else [1, 500]:
                run.log(f"engine: {door} door N={n} tuned={tuned}")
                measure = partial(
                    engine_up,
                    n,
                    run.scale_d,
                    100,
                    native=door == "native",
                    engine_env=ENGINE_TUNED if tuned else None,
                )
                run.report["engine"].append(
                    {"door": door, "tuned": tuned, "n": n, "measures": run.measure(measure)}
                )


def measure_engine_mid(run: Run) -> None:
    """N = 100 on the engine's defaults (the full run only): the middle of the curve."""
    if run.quick:
        return
    for door in ("native", "dynamic"):
        run.log(f"engine: {door} door N=100 tuned=False")
        measure = partial(engine_up, 100, run.scale_d, 100, native=door == "native")
        # It replaces its own earlier row, and keeps the engine section's others.
        run.report["engine"] = [
            r
            for r in run.report.get("engine", [])
            if not (r["door"] == door and not r["tuned"] and r["n"] == 100)
        ]
        run.report["engine"].append(
            {"door": door, "tuned": False, "n": 100, "measures": run.measure(measure)}
        )


def measure_engine_preview(run: Run) -> None:
    resources = 20 if run.quick else 1000
    run.log(f"engine: pulumi preview of {resources} exports")
    run.report["engine_preview"] = {
        "count": resources,
        "measures": run.measure(partial(engine_preview, resources)),
    }


def measure_cold_start(run: Run) -> None:
    run.log("cold start")
    cold_start()  # a first run fills the bytecode caches; it is not counted
    run.report["cold_start"] = repeat(max(11, run.runs), cold_start)


def measure_preview(run: Run) -> None:
    count = 100 if run.quick else 1000
    run.log(f"preview: {count} resources")
    run.report["preview"] = {"count": count, "measures": run.measure(partial(preview_cost, count))}


def measure_download(run: Run) -> None:
    megabytes = 2 if run.quick else 52
    run.log(f"download: 4 parts of {megabytes} MB")
    run.report["download"] = run.measure(partial(download, megabytes))


# Every section, in the order it runs and is written (``--only`` names them).
SECTIONS: dict[str, Callable[[Run], None]] = {
    "scale": measure_scale,
    "requests": measure_requests,
    "notice": measure_notice,
    "naive": measure_naive,
    "modes": measure_modes,
    "engine": measure_engine,
    "engine_mid": measure_engine_mid,
    "engine_preview": measure_engine_preview,
    "cold_start": measure_cold_start,
    "preview": measure_preview,
    "download": measure_download,
}
# The sections whose rows are appended: emptied when they are measured again.
LISTED = ("scale", "requests", "notice", "naive", "modes", "engine")


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--full", action="store_true", help="the documented run (about an hour on 2 cores)"
    )
    parser.add_argument("--runs", type=int, help="runs per figure (default: 3 full, 1 quick)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "benchmarks.json")
    parser.add_argument(
        "--tables-from",
        type=Path,
        help="render this JSON (a finished full run) into docs/performance.md; run nothing",
    )
    parser.add_argument(
        "--only",
        help="comma-separated sections to (re)measure, kept with the rest of an existing --out",
    )
    return parser


def start(args: argparse.Namespace, only: set[str] | None) -> Run:
    """The run's results so far: an existing ``--out``'s when re-measuring some sections."""
    quick = not args.full
    runs = args.runs or (1 if quick else 3)
    previous: dict[str, Any] = (
        json.loads(args.out.read_text(encoding="utf-8")) if only and args.out.is_file() else {}
    )
    report: dict[str, Any] = {
        **previous,
        "runs": runs,
        "defaults": {
            "initial": DEFAULT_POLL_INITIAL,
            "fraction": DEFAULT_FRACTION,
            "max": DEFAULT_POLL_MAX,
        },
    }
    for section in LISTED:
        if only is None or section in only:
            report[section] = []
    started = time.monotonic()
    report["mode"] = "quick" if quick else "full"
    return Run(report, args.out, runs, quick, started)


def main() -> int:
    args = command_line().parse_args()
    if args.tables_from:
        replace_tables_block(render(documented_results(args.tables_from)))
        print(f"{TABLES_DOC.relative_to(ROOT)} rewritten from {args.tables_from}")
        return 0

    only = set(args.only.split(",")) if args.only else None
    run = start(args, only)
    for section, measure in SECTIONS.items():
        if only is None or section in only:
            measure(run)

    run.save(True)
    print(render(run.report))
    took = (time.monotonic() - run.started) / 60
    print(
        f"\n({'quick' if run.quick else 'full'} run, {took:.1f} min; written to {args.out})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
