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
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import requests

from aep_pulumi.sandbox import SandboxApp, SandboxConfig, SandboxServer
from aep_pulumi.testing import TEST_CLIENT_SECRET, provider_host_for, sandbox_env
from aep_pulumi.testing.provider_host import ProviderHost, Unknown

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- benchmark-table:start -->", "<!-- benchmark-table:end -->"
TABLES_DOC = ROOT / "docs" / "performance.md"
TUNED = {"AEP_POLL_INITIAL_SECONDS": "0.5", "AEP_POLL_MAX_SECONDS": "2"}
UPS = "/data/core/ups"


@dataclass
class World:
    app: SandboxApp
    server: SandboxServer
    env: dict[str, str]


@contextmanager
def world(duration: float, latency_ms: int = 0, foreign: int = 20) -> Iterator[World]:
    app = SandboxApp(
        SandboxConfig(job_duration=duration, foreign_jobs=foreign, foreign_job_every=2),
        openapi_dir=None,
    )
    app.faults.rates.latency_ms = latency_ms
    app.faults.rates.latency_jitter_ms = latency_ms // 5
    with SandboxServer(app) as server:
        env = sandbox_env(server.url)
        for key in ("AEP_POLL_INITIAL_SECONDS", "AEP_POLL_MAX_SECONDS"):
            env.pop(key)  # the defaults, unless a scenario tunes them
        env["AEP_HTTP_TIMEOUT_SECONDS"] = "30"
        yield World(app, server, env)


def host_for(w: World, **env: str) -> Any:
    """A fresh provider host (a fresh `pulumi up`) pointed at the world's sandbox."""
    return provider_host_for(w.env, **env)


def aep_requests(w: World, since: int) -> list[dict[str, Any]]:
    return [e for e in w.app.request_log[since:] if e["path"].startswith("/data/")]


def make_dataset(host: ProviderHost) -> str:
    inputs, _ = host.check("dataset", "target", {"name": "bench"})
    return host.create("dataset", "target", inputs).id


def job_end_times(w: World, ids: list[str]) -> dict[str, float]:
    """When each job ended, by the sandbox's clock (the same machine's)."""
    jobs = w.app.store.space("prod").jobs
    return {i: w.app.store.job_ends_at("prod", int(i)) for i in ids if int(i) in jobs}


def submit_all(host: ProviderHost, dataset_id: str, n: int, wait: bool) -> list[tuple[str, float]]:
    """N creates at once, as the engine issues them; (job id, when its create returned)."""

    def one(i: int) -> tuple[str, float]:
        inputs, _ = host.check(
            "job",
            f"j{i}",
            {
                "dataset_id": dataset_id,
                "fields": ["identities.id"],
                "segments": [{"segment_id": f"segment-{i}"}],
                "wait_for_completion": wait,
            },
        )
        created = host.create("job", f"j{i}", inputs)
        return created.id, time.time()

    with ThreadPoolExecutor(max_workers=min(64, max(1, n))) as pool:
        return list(pool.map(one, range(n)))


def batched(
    n: int,
    duration: float,
    latency_ms: int,
    *,
    foreign_newer: int = 0,
    tuned: bool = False,
    files: bool = False,
) -> dict[str, float]:
    with world(duration, latency_ms) as w, host_for(w, **(TUNED if tuned else {})) as host:
        dataset_id = make_dataset(host)
        since = len(w.app.request_log)
        started = time.time()
        submitted = submit_all(host, dataset_id, n, wait=False)
        submit_seconds = time.time() - started
        for _ in range(foreign_newer):
            w.app.store.add_foreign_job("prod")
        ids = [i for i, _ in submitted]
        inputs, _ = host.check("wait", "all", {"job_ids": ids, "report_files": files})
        host.create("wait", "all", inputs)
        finished = time.time()
        calls = aep_requests(w, since)
        ends = job_end_times(w, ids)
    return {
        "wall": finished - started,
        "submit": submit_seconds,
        "requests_per_job": len(calls) / n,
        "notice": finished - max(ends.values()),
    }


def blocking(n: int, duration: float, latency_ms: int, *, tuned: bool = False) -> dict[str, float]:
    with world(duration, latency_ms) as w, host_for(w, **(TUNED if tuned else {})) as host:
        dataset_id = make_dataset(host)
        since = len(w.app.request_log)
        started = time.time()
        returned = submit_all(host, dataset_id, n, wait=True)
        finished = time.time()
        calls = aep_requests(w, since)
        ends = job_end_times(w, [i for i, _ in returned])
    return {
        "wall": finished - started,
        "requests_per_job": len(calls) / n,
        "notice": max(at - ends[i] for i, at in returned),
    }


def notice_both(duration: float) -> dict[str, float]:
    """A blocking job and a batched job + ProfileExportWait, side by side, default polling."""
    with world(duration, 0) as w, host_for(w) as host:
        dataset_id = make_dataset(host)
        result: dict[str, float] = {}

        def block() -> None:
            ((job_id, at),) = submit_all(host, dataset_id, 1, wait=True)
            result["blocking"] = at - job_end_times(w, [job_id])[job_id]

        thread = threading.Thread(target=block)
        thread.start()
        ((job_id, _),) = submit_all(host, dataset_id, 1, wait=False)
        inputs, _ = host.check("wait", "one", {"job_ids": [job_id]})
        host.create("wait", "one", inputs)
        result["wait"] = time.time() - job_end_times(w, [job_id])[job_id]
        thread.join()
    return result


def naive(n: int, duration: float, threaded: bool) -> dict[str, float]:
    """POST, then GET every 5 s until the job ends: what a hand-written script does."""
    with world(duration, 0) as w:
        session = requests.Session()
        token = session.post(
            f"{w.server.url}/ims/token/v3",
            data={
                "grant_type": "client_credentials",
                "client_id": w.env["AEP_CLIENT_ID"],
                "client_secret": TEST_CLIENT_SECRET,
            },
            timeout=30,
        ).json()["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "x-api-key": w.env["AEP_CLIENT_ID"],
            "x-gw-ims-org-id": w.env["AEP_ORG_ID"],
            "x-sandbox-name": "prod",
        }
        dataset = (
            session.post(
                f"{w.server.url}/data/foundation/catalog/dataSets",
                json={"name": "naive", "schemaRef": {"id": "x", "contentType": "y"}},
                headers=headers,
                timeout=30,
            )
            .json()[0]
            .rsplit("/", 1)[1]
        )

        def export(i: int) -> None:
            body = {
                "fields": "identities.id",
                "filter": {"segments": [{"segmentId": f"segment-{i}"}]},
                "destination": {"datasetId": dataset},
                "schema": {"name": "_xdm.context.profile"},
            }
            job = session.post(
                f"{w.server.url}{UPS}/export/jobs", json=body, headers=headers, timeout=30
            )
            job_id = job.json()["id"]
            while True:
                time.sleep(5)
                status = session.get(
                    f"{w.server.url}{UPS}/export/jobs/{job_id}", headers=headers, timeout=30
                ).json()["status"]
                if status in ("SUCCEEDED", "FAILED"):
                    return

        started = time.time()
        if threaded:
            with ThreadPoolExecutor(max_workers=n) as pool:
                list(pool.map(export, range(n)))
        else:
            for i in range(n):
                export(i)
        return {"wall": time.time() - started}


def warm_bytecode_env() -> dict[str, str]:
    """Environment in which both sides import from warm bytecode caches, as after a first run.

    pip compiled pulumi's modules when it installed them; ours (an editable install) are
    compiled on first import. Where ``PYTHONDONTWRITEBYTECODE`` is set (this machine's default),
    that would recompile our sources on every start and time the compiler, not the start. The
    caches go under ``build/`` (``PYTHONPYCACHEPREFIX``), never into the source tree.
    """
    return {
        "PYTHONDONTWRITEBYTECODE": "",
        "PYTHONPYCACHEPREFIX": str(ROOT / "build" / "pycache"),
    }


def cold_start() -> dict[str, float]:
    """Both timed from spawn to their first useful answer, from warm bytecode caches."""
    env = {**os.environ, **warm_bytecode_env()}

    def import_pulumi() -> float:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", "import pulumi; print('ready', flush=True)"],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None
        process.stdout.readline()
        elapsed = time.monotonic() - started
        process.wait()
        return elapsed

    def provider() -> float:
        started = time.monotonic()
        host = ProviderHost({"AEP_ORG_ID": "o@AdobeOrg", **warm_bytecode_env()})
        try:
            host.configure({})
            host.check("dataset", "cold", {"name": "cold"})
            return time.monotonic() - started
        finally:
            host.close()

    pulumi_seconds = import_pulumi()
    provider_seconds = provider()
    return {
        "import_pulumi": pulumi_seconds,
        "provider": provider_seconds,
        "ratio": provider_seconds / pulumi_seconds,
    }


def download(megabytes_per_part: int) -> dict[str, float]:
    """aep-export download vs curl on the same parts; the downloader's peak memory."""
    import shutil
    import tempfile

    app = SandboxApp(
        SandboxConfig(
            job_duration=0.2,
            foreign_jobs=0,
            export_files=4,
            export_part_bytes=megabytes_per_part * 1024 * 1024,
        ),
        openapi_dir=None,
    )
    with SandboxServer(app) as server:
        env = sandbox_env(server.url)
        with provider_host_for(env) as host:
            dataset_id = make_dataset(host)
            inputs, _ = host.check(
                "job",
                "big",
                {
                    "dataset_id": dataset_id,
                    "fields": ["identities.id", "personalEmail.address"],
                    "report_files": False,
                },
            )
            batch_id = host.create("job", "big", inputs).outs["batch_id"]
        scratch = Path(tempfile.mkdtemp(prefix="aep-bench-download-"))
        try:
            child_env = {
                **{k: v for k, v in __import__("os").environ.items() if not k.startswith("AEP_")},
                **env,
            }
            # The transfer alone is timed, as for curl (which is handed the URLs); the listing
            # and the process's start are not. Peak memory is the process's own (VmHWM).
            script = (
                "import sys, time\n"
                "from pathlib import Path\n"
                "from aep_pulumi import AepClient, AepSettings\n"
                "from aep_pulumi.cli.downloader import Downloader, list_export_files\n"
                "client = AepClient(AepSettings.load({}))\n"
                "files = list_export_files(client, [sys.argv[1]])\n"
                "started = time.monotonic()\n"
                "Downloader(client, Path(sys.argv[2]), parallel=4).download(files)\n"
                "took = time.monotonic() - started\n"
                "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
                "print(took, hwm[0])\n"
            )
            done = subprocess.run(
                [sys.executable, "-c", script, batch_id, str(scratch / "ours")],
                env=child_env,
                capture_output=True,
                text=True,
                check=True,
            )
            ours_seconds, peak_kb = done.stdout.strip().splitlines()[-1].split()
            parts = sorted((scratch / "ours").rglob("*.parquet"))
            total = sum(p.stat().st_size for p in parts)
            # curl: the same part URLs, the same headers, 4 at once.
            client_token = requests.post(
                f"{server.url}/ims/token/v3",
                data={
                    "grant_type": "client_credentials",
                    "client_id": env["AEP_CLIENT_ID"],
                    "client_secret": TEST_CLIENT_SECRET,
                },
                timeout=30,
            ).json()["access_token"]
            argv = ["curl", "--silent", "--fail", "--parallel", "--parallel-max", "4"]
            for header in (
                f"Authorization: Bearer {client_token}",
                f"x-api-key: {env['AEP_CLIENT_ID']}",
                f"x-gw-ims-org-id: {env['AEP_ORG_ID']}",
                "x-sandbox-name: prod",
            ):
                argv += ["-H", header]
            (scratch / "curl").mkdir()
            for n, part in enumerate(parts):
                file_id = part.parent.name
                argv += [
                    f"{server.url}/data/foundation/export/files/{file_id}?path={part.name}",
                    "-o",
                    str(scratch / "curl" / f"{n}.parquet"),
                ]
            started = time.monotonic()
            subprocess.run(argv, check=True)
            curl_seconds = time.monotonic() - started
            curl_total = sum(p.stat().st_size for p in (scratch / "curl").iterdir())
            assert curl_total == total, (curl_total, total)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    ours = total / float(ours_seconds) / 1e6
    curl = total / curl_seconds / 1e6
    return {
        "megabytes": total / 1e6,
        "ours_mb_s": ours,
        "curl_mb_s": curl,
        "ratio": ours / curl,
        "peak_mb": int(peak_kb) / 1024,
    }


def preview_cost(count: int) -> dict[str, float]:
    with world(1, 0) as w, host_for(w) as host:
        since = len(w.app.request_log)
        started = time.time()
        for i in range(count // 2):
            inputs, _ = host.check("dataset", f"d{i}", {"name": f"d{i}"})
            host.diff("dataset", f"d{i}", f"id{i}", {**inputs, "sandbox_name": "prod"}, inputs)
            job, _ = host.check(
                "job", f"j{i}", {"dataset_id": Unknown(), "fields": ["identities.id"]}
            )
            host.diff("job", f"j{i}", "1", {**job, "dataset_id": "d", "sandbox_name": "prod"}, job)
        return {"seconds": time.time() - started, "http_calls": len(w.app.request_log) - since}


# ---------------------------------------------------------------- through the real engine


def engine_project(
    w: World, root: Path, segments: int, engine_env: dict[str, str] | None = None
) -> Any:
    """examples/many_exports with ``segments`` exports, on a fresh stack of a throwaway
    workspace (the real CLI, a file backend; the client secret a config secret)."""
    from aep_pulumi.testing.engine import Workspace, find_engine

    engine = find_engine()
    assert engine is not None, "no Pulumi engine: run `make engine`"
    env = {**w.env, **(engine_env or {})}
    secret = env.pop("AEP_CLIENT_SECRET")
    project = Workspace(root, engine, env).project(ROOT / "examples" / "many_exports").init("bench")
    project.config("aep:clientSecret", secret, secret=True)
    project.config("segments", [f"segment-{i:04d}" for i in range(segments)])
    return project


def native_program(root: Path, segments: int) -> Path:
    """examples/many_exports as a native YAML program (Pulumi YAML has no loops: written out)."""
    resources: dict[str, Any] = {
        "target": {"type": "aep:index:Dataset", "properties": {"name": "Per-segment exports"}}
    }
    for i in range(segments):
        resources[f"export{i}"] = {
            "type": "aep:index:ProfileExportJob",
            "properties": {
                "datasetId": "${target.id}",
                "fields": ["identities.id", "personalEmail.address"],
                "segments": [{"segmentId": f"segment-{i:04d}"}],
                "waitForCompletion": False,
            },
        }
    resources["all"] = {
        "type": "aep:index:ProfileExportWait",
        "properties": {
            "jobIds": [f"${{export{i}.id}}" for i in range(segments)],
            "timeoutSeconds": 7200,
        },
    }
    program = {
        "name": "bench-native",
        "runtime": "yaml",
        "resources": resources,
        "outputs": {"batchIds": "${all.batchIds}"},
    }
    folder = root / "program"
    folder.mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text(json.dumps(program), encoding="utf-8")
    return folder


# The engine's own knobs for many resources: operations at once (its default is 4 per CPU) and,
# on a file backend, the state written once at the end instead of after every step.
ENGINE_TUNED = {"PULUMI_PARALLEL": "64", "PULUMI_SKIP_CHECKPOINTS": "true"}


def engine_up(
    n: int,
    duration: float,
    latency_ms: int,
    *,
    native: bool = False,
    engine_env: dict[str, str] | None = None,
) -> dict[str, float]:
    """`pulumi up` of N batched exports (examples/many_exports on the dynamic door, or its
    native YAML twin): wall time from the command's start to its end (the CLI's own start, the
    program, every create and the wait)."""
    import tempfile

    from aep_pulumi.testing.engine import Workspace, find_engine

    with world(duration, latency_ms) as w, tempfile.TemporaryDirectory() as scratch:
        if native:
            engine = find_engine()
            assert engine is not None, "no Pulumi engine: run `make engine`"
            env = {**w.env, **(engine_env or {})}
            secret = env.pop("AEP_CLIENT_SECRET")
            workspace = Workspace(Path(scratch), engine, env)
            project = workspace.project(native_program(Path(scratch), n)).init("bench")
            project.config("aep:clientSecret", secret, secret=True)
        else:
            project = engine_project(w, Path(scratch), n, engine_env)
        since = len(w.app.request_log)
        run = project.run("up")
        assert run.ok, run.stderr[-2000:]
        calls = aep_requests(w, since)
    # The command's own wall time (not the kit's reading of its event log afterwards).
    return {"wall": run.seconds, "requests_per_job": len(calls) / n}


def engine_preview(count: int) -> dict[str, float]:
    """`pulumi preview` (no credentials) of a stack of ``count`` exports, the dataset and the
    wait: wall time, and the AEP calls it made."""
    import tempfile

    with world(1, 0) as w, tempfile.TemporaryDirectory() as scratch:
        project = engine_project(w, Path(scratch), count)
        since = len(w.app.request_log)
        env = project.workspace.environment(
            AEP_ORG_ID=None, AEP_CLIENT_ID=None, AEP_CLIENT_SECRET=None
        )
        run = project.run("preview", env=env)
        assert run.ok, run.stderr[-2000:]
        resources = len(run.steps())
    return {
        "seconds": run.seconds,
        "resources": resources,
        "http_calls": len(w.app.request_log) - since,
    }


# ---------------------------------------------------------------- statistics and output


def repeat(runs: int, measure: Callable[[], dict[str, float]]) -> dict[str, dict[str, float]]:
    samples = [measure() for _ in range(runs)]
    return {
        key: {
            "median": statistics.median(s[key] for s in samples),
            "min": min(s[key] for s in samples),
            "max": max(s[key] for s in samples),
        }
        for key in samples[0]
    }


def fmt(stat: dict[str, float], digits: int = 2) -> str:
    if stat["min"] == stat["max"]:
        return f"{stat['median']:.{digits}f}"
    return f"{stat['median']:.{digits}f} ({stat['min']:.{digits}f}-{stat['max']:.{digits}f})"


def render(report: dict[str, Any]) -> str:
    out: list[str] = [
        f"Medians of {report['runs']} runs (min-max). Default polling (first poll after "
        f"{report['defaults']['initial']} s, then {report['defaults']['fraction']:.0%} of the time "
        "waited, at most "
        f"{report['defaults']['max']} s) unless marked tuned.",
        "",
        "**Scale, batched** (N jobs with `wait_for_completion=false` + one `ProfileExportWait`; "
        "target `1.25 x wall(N=1) + N x latency / 4`, without file listing like the baseline; the "
        "row with files adds `report_files`: two more requests per job)",
        "",
        "| N | latency | D (s) | files listed | wall (s) | submission (s) | target (s) | requests / job | notice delay (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report.get("scale", []):
        m = row["measures"]
        out.append(
            f"| {row['n']} | {row['latency_ms']} ms | {row['duration']:g} "
            f"| {'yes' if row.get('files') else 'no'} | {fmt(m['wall'])} "
            f"| {fmt(m['submit'])} | {row.get('target', '')} | {fmt(m['requests_per_job'])} "
            f"| {fmt(m['notice'])} |"
        )
    out += [
        "",
        "**HTTP requests per job** (N = 50, every AEP call including the POST; target <= 1.2)",
        "",
        "| listing holds | D (s) | requests / job |",
        "|---|---|---|",
    ]
    for row in report.get("requests", []):
        out.append(
            f"| {row['label']} | {row['duration']:g} | {fmt(row['measures']['requests_per_job'])} |"
        )
    out += [
        "",
        "**Notice delay** (job end to deploy noticing it; target max(2 s, 25 % of D))",
        "",
        "| D (s) | target (s) | blocking job (s) | ProfileExportWait (s) |",
        "|---|---|---|---|",
    ]
    for row in report.get("notice", []):
        m = row["measures"]
        out.append(
            f"| {row['duration']:g} | {max(2.0, 0.25 * row['duration']):g} | {fmt(m['blocking'])} "
            f"| {fmt(m['wait'])} |"
        )
    out += [
        "",
        "**Against a naive script** (POST, then GET every 5 s), D = 4 s, same timing",
        "",
        "| jobs | aep-pulumi batched (s) | naive sequential (s) | naive threaded (s) |",
        "|---|---|---|---|",
    ]
    for row in report.get("naive", []):
        out.append(
            f"| {row['n']} | {fmt(row['ours']['wall'])} | {fmt(row['sequential']['wall'])} "
            f"| {fmt(row['threaded']['wall'])} |"
        )
    out += [
        "",
        "**Blocking vs batched**, N = 12, D = 4 s",
        "",
        "| polling | blocking wall (s) | batched wall (s) |",
        "|---|---|---|",
    ]
    for row in report.get("modes", []):
        out.append(
            f"| {row['polling']} | {fmt(row['blocking']['wall'])} | {fmt(row['batched']['wall'])} |"
        )
    if report.get("engine"):
        out += [
            "",
            "**Through the real engine** (`pulumi up`, file backend): N batched exports, "
            "100 ms latency, the scale section's D; tuned: `PULUMI_PARALLEL=64 "
            "PULUMI_SKIP_CHECKPOINTS=true` (the engine's own knobs)",
            "",
            "| door | engine settings | N | wall (s) | x wall(N=1) (target <= 1.25) | requests / job |",
            "|---|---|---|---|---|---|",
        ]
        doors = {"native": 0, "dynamic": 1}
        rows = sorted(report["engine"], key=lambda r: (doors[r["door"]], r["tuned"], r["n"]))
        for row in rows:
            one = next(
                r
                for r in report["engine"]
                if r["door"] == row["door"] and r["tuned"] == row["tuned"] and r["n"] == 1
            )
            ratio = row["measures"]["wall"]["median"] / one["measures"]["wall"]["median"]
            out.append(
                f"| {row['door']} | {'tuned' if row['tuned'] else 'default'} | {row['n']} "
                f"| {fmt(row['measures']['wall'])} | {ratio:.2f} "
                f"| {fmt(row['measures']['requests_per_job'])} |"
            )
    if report.get("download"):
        d = report["download"]
        out += [
            "",
            f"**Download** of one export batch ({fmt(d['megabytes'], 0)} MB: 4 files, 1 part each) "
            "from the sandbox, 4 parts at once on both sides",
            "",
            "| aep-export download (MB/s) | curl --parallel (MB/s) | ratio (target >= 0.8) | downloader peak memory (MB; target <= 100) |",
            "|---|---|---|---|",
            f"| {fmt(d['ours_mb_s'], 0)} | {fmt(d['curl_mb_s'], 0)} | {fmt(d['ratio'])} | {fmt(d['peak_mb'], 0)} |",
        ]
    if "cold_start" not in report or "preview" not in report:
        return "\n".join(out)
    c, p = report["cold_start"], report["preview"]
    out += [
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
    return "\n".join(out)


def replace_tables_block(table: str) -> None:
    text = TABLES_DOC.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{TABLES_DOC} has no {START} ... {END} block to replace")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    TABLES_DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")


def documented_results(path: Path) -> dict[str, Any]:
    """The results ``--tables-from`` may publish: a full run that finished."""
    if not path.is_file():
        raise SystemExit(f"no {path}: run `make bench FULL=1` first (nothing was rewritten)")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if not report.get("complete"):
        raise SystemExit(f"{path} holds a partial run: nothing was rewritten")
    if report.get("mode") != "full":
        raise SystemExit(
            f"{path} holds a quick run (run `make bench FULL=1`): nothing was rewritten"
        )
    return report


def main() -> int:
    from aep_pulumi.config import DEFAULT_POLL_INITIAL, DEFAULT_POLL_MAX
    from aep_pulumi.core.waiter import DEFAULT_FRACTION

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
    args = parser.parse_args()
    if args.tables_from:
        replace_tables_block(render(documented_results(args.tables_from)))
        print(f"{TABLES_DOC.relative_to(ROOT)} rewritten from {args.tables_from}")
        return 0

    quick = not args.full
    runs = args.runs or (1 if quick else 3)
    only = set(args.only.split(",")) if args.only else None

    def wanted(section: str) -> bool:
        return only is None or section in only

    scale_ns = [1, 10] if quick else [1, 50, 200, 500]
    scale_d = 2.0 if quick else 20.0
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
    for section in ("scale", "requests", "notice", "naive", "modes", "engine"):
        if wanted(section):
            report[section] = []

    started = time.monotonic()
    report["mode"] = "quick" if quick else "full"

    def save(complete: bool) -> None:
        report["complete"] = complete
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")

    def log(message: str) -> None:
        # What is measured so far is on disk before each step: an interrupted run keeps it.
        save(False)
        elapsed = time.monotonic() - started
        print(f"[{elapsed / 60:5.1f} min] {message}", file=sys.stderr, flush=True)

    for latency, duration, ns in (
        []
        if not wanted("scale")
        else (
            (100, scale_d, scale_ns),
            (0, 4.0 if not quick else 1.0, scale_ns),
        )
    ):
        for n in ns:
            log(f"scale: N={n} latency={latency} ms D={duration}")
            measures = repeat(runs, lambda n=n, d=duration, lat=latency: batched(n, d, lat))
            report["scale"].append(
                {"n": n, "latency_ms": latency, "duration": duration, "measures": measures}
            )
        if latency:
            n = ns[-1]
            log(f"scale: N={n} latency={latency} ms D={duration}, files listed")
            measures = repeat(
                runs, lambda n=n, d=duration, lat=latency: batched(n, d, lat, files=True)
            )
            report["scale"].append(
                {
                    "n": n,
                    "latency_ms": latency,
                    "duration": duration,
                    "measures": measures,
                    "files": True,
                }
            )
        first = next(r for r in report["scale"] if r["latency_ms"] == latency and r["n"] == 1)
        for row in report.get("scale", []):
            # The target is the issue's, for the rows with network latency.
            if latency and row["latency_ms"] == latency and not row.get("files"):
                target = 1.25 * first["measures"]["wall"]["median"] + row["n"] * latency / 1000 / 4
                row["target"] = f"{target:.2f}"
    n_req = 10 if quick else 50
    request_rows = (
        (0, "our jobs (+ 20 older of another client)"),
        (100, "+ 100 newer jobs of another client"),
    )
    request_durations = (4.0,) if quick else (4.0, 20.0)
    for duration in request_durations if wanted("requests") else ():
        for foreign, label in request_rows:
            log(f"requests: N={n_req} D={duration} foreign newer={foreign}")
            measure = partial(batched, n_req, duration, 0, foreign_newer=foreign)
            report["requests"].append(
                {"label": label, "duration": duration, "measures": repeat(runs, measure)}
            )
    notice_durations = [2.0] if quick else [2.0, 10.0, 30.0, 120.0]
    for duration in notice_durations if wanted("notice") else []:
        log(f"notice: D={duration}")
        report["notice"].append(
            {"duration": duration, "measures": repeat(runs, lambda d=duration: notice_both(d))}
        )
    for n in (1, 12) if wanted("naive") else ():
        log(f"naive: N={n}")
        report["naive"].append(
            {
                "n": n,
                "ours": repeat(runs, lambda n=n: batched(n, 4.0, 0)),
                "sequential": repeat(runs, lambda n=n: naive(n, 4.0, threaded=False)),
                "threaded": repeat(runs, lambda n=n: naive(n, 4.0, threaded=True)),
            }
        )
    for tuned in (False, True) if wanted("modes") else ():
        log(f"modes: tuned={tuned}")
        report["modes"].append(
            {
                "polling": "tuned (0.5 s / 2 s)" if tuned else "default",
                "blocking": repeat(runs, lambda t=tuned: blocking(12, 4.0, 0, tuned=t)),
                "batched": repeat(runs, lambda t=tuned: batched(12, 4.0, 0, tuned=t)),
            }
        )
    engine_ns = [1, 10] if quick else [1, 500]
    for door in ("native", "dynamic") if wanted("engine") else ():
        for tuned in (False, True):
            for n in engine_ns:
                log(f"engine: {door} door N={n} tuned={tuned}")
                measure = partial(
                    engine_up,
                    n,
                    scale_d,
                    100,
                    native=door == "native",
                    engine_env=ENGINE_TUNED if tuned else None,
                )
                report["engine"].append(
                    {"door": door, "tuned": tuned, "n": n, "measures": repeat(runs, measure)}
                )
    # N = 100 on the engine's defaults (the full run only): the middle of the curve.
    for door in ("native", "dynamic") if wanted("engine_mid") and not quick else ():
        log(f"engine: {door} door N=100 tuned=False")
        measure = partial(engine_up, 100, scale_d, 100, native=door == "native")
        report["engine"] = [
            r
            for r in report.get("engine", [])
            if not (r["door"] == door and not r["tuned"] and r["n"] == 100)
        ]
        report["engine"].append(
            {"door": door, "tuned": False, "n": 100, "measures": repeat(runs, measure)}
        )
    if wanted("engine_preview"):
        resources = 20 if quick else 1000
        log(f"engine: pulumi preview of {resources} exports")
        report["engine_preview"] = {
            "count": resources,
            "measures": repeat(runs, lambda: engine_preview(resources)),
        }
    if wanted("cold_start"):
        log("cold start")
        cold_start()  # a first run fills the bytecode caches; it is not counted
        report["cold_start"] = repeat(max(11, runs), cold_start)
    count = 100 if quick else 1000
    if wanted("preview"):
        log(f"preview: {count} resources")
        report["preview"] = {"count": count, "measures": repeat(runs, lambda: preview_cost(count))}
    if wanted("download"):
        megabytes = 2 if quick else 52
        log(f"download: 4 parts of {megabytes} MB")
        report["download"] = repeat(runs, lambda: download(megabytes))

    save(True)
    print(render(report))
    took = (time.monotonic() - started) / 60
    print(
        f"\n({'quick' if quick else 'full'} run, {took:.1f} min; written to {args.out})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
