"""Scale benchmarks through Pulumi's real provider host against aep-sandbox.

    python benchmarks/run.py [--duration 4] [--ns 1,4,12,24] [--out build/benchmarks.json]

Measures, for N export jobs of duration D created at once (as the engine does):
- wall time with blocking jobs (``wait_for_completion=True``: each create holds one of the host's
  4 worker threads) and with the batched design (jobs submitted without waiting + one
  ``ProfileExportWait``);
- HTTP requests per job and status polls per job (target: ceil(log2(D / first)) + D / max + 2);
- the delay between the last job finishing and the deploy noticing;
- provider cold start (spawn the host, import, unpickle, configure, first Check) next to
  ``python -c "import pulumi"``; serialized provider size;
- preview cost for 100 resources (Check + Diff) and the HTTP calls it makes (target: 0).

Prints a Markdown table and writes the figures as JSON. It is a benchmark, not a test: run it by
hand (``make bench``) and quote the table in the README.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pulumi.dynamic.dynamic import serialize_provider

from aep_pulumi.provider_host import ProviderHost, Unknown
from aep_pulumi.providers import (
    DatasetProvider,
    ProfileExportJobProvider,
    ProfileExportWaitProvider,
)
from aep_pulumi.sandbox import SandboxServer
from aep_pulumi.testing import make_app, sandbox_env

ROOT = Path(__file__).resolve().parents[1]
FIRST_INTERVAL = 0.5
MAX_INTERVAL = 2.0


def status_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e
        for e in log
        if e["method"] == "GET" and e["path"].startswith("/data/core/ups/export/jobs")
    ]


def run_blocking(host: ProviderHost, app: Any, dataset_id: str, n: int) -> dict[str, Any]:
    before = len(app.request_log)
    started = time.time()
    finished_at: dict[str, float] = {}

    def one(i: int) -> str:
        inputs, _ = host.check(
            "job", f"b{i}", {"dataset_id": dataset_id, "fields": ["identities.id"], "triggers": [i]}
        )
        created = host.create("job", f"b{i}", inputs)
        finished_at[created.id] = time.time()
        return created.id

    with ThreadPoolExecutor(max_workers=n) as pool:
        ids = list(pool.map(one, range(n)))
    wall = time.time() - started
    return summarise(app, before, ids, wall, finished_at, n)


def run_batched(host: ProviderHost, app: Any, dataset_id: str, n: int) -> dict[str, Any]:
    before = len(app.request_log)
    started = time.time()

    def one(i: int) -> str:
        inputs, _ = host.check(
            "job",
            f"q{i}",
            {
                "dataset_id": dataset_id,
                "fields": ["identities.id"],
                "triggers": [i],
                "wait_for_completion": False,
            },
        )
        return host.create("job", f"q{i}", inputs).id

    with ThreadPoolExecutor(max_workers=n) as pool:
        ids = list(pool.map(one, range(n)))
    inputs, _ = host.check("wait", "all", {"job_ids": ids})
    host.create("wait", "all", inputs)
    noticed = time.time()
    wall = noticed - started
    return summarise(app, before, ids, wall, dict.fromkeys(ids, noticed), n)


def summarise(
    app: Any, before: int, ids: list[str], wall: float, noticed: dict[str, float], n: int
) -> dict[str, Any]:
    log = app.request_log[before:]
    polls = status_requests(log)
    listings = [p for p in polls if p["path"].rstrip("/").endswith("/export/jobs")]
    per_job_gets = {i: sum(1 for p in polls if p["path"].endswith(f"/{i}")) for i in ids}
    # A listing checks every job at once: it is one poll for each of them.
    polls_per_job = max(per_job_gets[i] + len(listings) for i in ids)
    space = app.store.space("prod")
    delays = []
    for i in ids:
        job = space.jobs[int(i)]
        done = job["creationTime"] / 1000 + float(job["_duration"])
        delays.append(noticed[i] - done)
    return {
        "n": n,
        "wall_seconds": round(wall, 2),
        "http_requests_per_job": round(
            len([e for e in log if not e["path"].startswith("/ims/")]) / n, 2
        ),
        "status_polls_per_job": polls_per_job,
        "notice_delay_seconds_max": round(max(delays), 2),
        "notice_delay_seconds_mean": round(statistics.mean(delays), 2),
    }


def time_command(argv: list[str], repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def cold_start(env: dict[str, str], repeat: int = 5) -> float:
    """Spawn the host and answer the first Check: process start, imports, unpickle, configure."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        host = ProviderHost(env)
        host.configure({})
        host.check("dataset", "cold", {"name": "cold"})
        runs.append(time.perf_counter() - started)
        host.close()
    return statistics.median(runs)


def preview_cost(host: ProviderHost, app: Any, count: int = 100) -> dict[str, Any]:
    before = len(app.request_log)
    started = time.perf_counter()
    for i in range(count // 2):
        ds, _ = host.check("dataset", f"p{i}", {"name": f"preview {i}"})
        host.diff("dataset", f"p{i}", "x", {**ds, "dataset_id": "x", "sandbox_name": "prod"}, ds)
        job, _ = host.check("job", f"pj{i}", {"dataset_id": Unknown(), "fields": ["identities.id"]})
        host.diff(
            "job",
            f"pj{i}",
            "1",
            {**job, "dataset_id": "x", "sandbox_name": "prod", "status": "SUCCEEDED"},
            job,
        )
    seconds = time.perf_counter() - started
    return {
        "resources": count,
        "seconds": round(seconds, 2),
        "http_calls": len(app.request_log) - before,
    }


def render(report: dict[str, Any]) -> str:
    d = report["job_duration_seconds"]
    lines = [
        f"Job duration D = {d} s; polling starts at {FIRST_INTERVAL} s, capped at {MAX_INTERVAL} s; "
        f"poll target per job = {report['poll_target']}.",
        "",
        "| N jobs | Blocking wall (s) | Batched wall (s) | Batched / N=1 | HTTP requests per job | Status polls per job | Notice delay max (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    base = report["batched"][0]["wall_seconds"]
    for blocking, batched in zip(report["blocking"], report["batched"], strict=True):
        lines.append(
            f"| {batched['n']} | {blocking['wall_seconds']} | {batched['wall_seconds']} | "
            f"{batched['wall_seconds'] / base:.2f} | {batched['http_requests_per_job']} | "
            f"{batched['status_polls_per_job']} | {batched['notice_delay_seconds_max']} |"
        )
    c = report["cold_start"]
    p = report["preview"]
    lines += [
        "",
        "| Measure | Value | Target |",
        "|---|---|---|",
        f'| `python -c "import pulumi"` | {c["import_pulumi_seconds"]} s | |',
        f"| provider cold start (spawn host, import, unpickle, configure, first Check) | {c['provider_seconds']} s "
        f"({c['ratio']:.2f} x) | <= 1.5 x |",
        f"| serialized provider (Dataset / job / wait) | {' / '.join(map(str, report['serialized_provider_chars']))} characters | <= 512 |",
        f"| preview of {p['resources']} resources (Check + Diff) | {p['seconds']} s, {p['http_calls']} HTTP calls | 0 calls |",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=float, default=4.0, help="seconds each export job takes (D)"
    )
    parser.add_argument("--ns", default="1,4,12,24", help="job counts to run")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "benchmarks.json")
    parser.add_argument("--readme", action="store_true", help="also replace the table in README.md")
    args = parser.parse_args()
    ns = [int(x) for x in args.ns.split(",")]

    app = make_app(job_duration=args.duration)
    app.validate_responses = False  # measure the provider, not the sandbox's own checks
    with SandboxServer(app) as server:
        env = sandbox_env(
            server.url,
            AEP_POLL_INITIAL_SECONDS=str(FIRST_INTERVAL),
            AEP_POLL_MAX_SECONDS=str(MAX_INTERVAL),
            AEP_HTTP_TIMEOUT_SECONDS="10",
        )
        host = ProviderHost(env)
        host.configure({})
        try:
            ds_inputs, _ = host.check("dataset", "bench", {"name": "benchmark target"})
            dataset_id = host.create("dataset", "bench", ds_inputs).id
            blocking = []
            batched = []
            for n in ns:
                print(f"N={n}: blocking ...", file=sys.stderr, flush=True)
                blocking.append(run_blocking(host, app, dataset_id, n))
                print(f"N={n}: batched ...", file=sys.stderr, flush=True)
                batched.append(run_batched(host, app, dataset_id, n))
            preview = preview_cost(host, app)
        finally:
            host.close()
        import_pulumi = time_command([sys.executable, "-c", "import pulumi"])
        provider_cold = cold_start(env)

    report = {
        "job_duration_seconds": args.duration,
        "poll_target": math.ceil(math.log2(args.duration / FIRST_INTERVAL))
        + args.duration / MAX_INTERVAL
        + 2,
        "blocking": blocking,
        "batched": batched,
        "cold_start": {
            "import_pulumi_seconds": round(import_pulumi, 3),
            "provider_seconds": round(provider_cold, 3),
            "ratio": provider_cold / import_pulumi,
        },
        "serialized_provider_chars": [
            len(serialize_provider(p()))
            for p in (DatasetProvider, ProfileExportJobProvider, ProfileExportWaitProvider)
        ],
        "preview": preview,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    table = render(report)
    print(table)
    if args.readme:
        replace_readme_block(table)
    return 0


def replace_readme_block(table: str) -> None:
    start, end = "<!-- benchmark-table:start -->", "<!-- benchmark-table:end -->"
    readme = ROOT / "README.md"
    head, _, rest = readme.read_text(encoding="utf-8").partition(start)
    _, _, tail = rest.partition(end)
    readme.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
