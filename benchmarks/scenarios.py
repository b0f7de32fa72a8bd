"""The benchmarks' worlds and what is measured in them, through Pulumi's provider host.

A world is a fresh sandbox with per-request latency (jitter included), other clients' jobs in
the listings and job duration D; each measurement starts a fresh provider host in it, as each
``pulumi up`` does. Each function returns one run's figures (seconds, requests per job...);
``stats.repeat`` makes medians of them. ``engine_scenarios.py`` measures through the real CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from aep_pulumi.sandbox import SandboxApp, SandboxConfig, SandboxServer
from aep_pulumi.testing import TEST_CLIENT_SECRET, provider_host_for, sandbox_env
from aep_pulumi.testing.provider_host import ProviderHost, Unknown

ROOT = Path(__file__).resolve().parents[1]
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


def ims_token(
    url: str, env: dict[str, str], post: Callable[..., requests.Response] = requests.post
) -> str:
    """A bearer token from the sandbox's IMS, asked for as a script would, without the client."""
    answer = post(
        f"{url}/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": env["AEP_CLIENT_ID"],
            "client_secret": TEST_CLIENT_SECRET,
        },
        timeout=30,
    )
    token: str = answer.json()["access_token"]
    return token


def aep_headers(token: str, env: dict[str, str]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "x-api-key": env["AEP_CLIENT_ID"],
        "x-gw-ims-org-id": env["AEP_ORG_ID"],
        "x-sandbox-name": "prod",
    }


def naive(n: int, duration: float, threaded: bool) -> dict[str, float]:
    """POST, then GET every 5 s until the job ends: what a hand-written script does."""
    with world(duration, 0) as w:
        session = requests.Session()
        headers = aep_headers(ims_token(w.server.url, w.env, session.post), w.env)
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
        export = naive_export(session, w.server.url, headers, dataset)
        started = time.time()
        if threaded:
            with ThreadPoolExecutor(max_workers=n) as pool:
                list(pool.map(export, range(n)))
        else:
            for i in range(n):
                export(i)
        return {"wall": time.time() - started}


def naive_export(
    session: requests.Session, url: str, headers: dict[str, str], dataset: str
) -> Callable[[int], None]:
    """The naive script's one export: POST the job, then GET it every 5 s until it ends."""

    def export(i: int) -> None:
        body = {
            "fields": "identities.id",
            "filter": {"segments": [{"segmentId": f"segment-{i}"}]},
            "destination": {"datasetId": dataset},
            "schema": {"name": "_xdm.context.profile"},
        }
        job = session.post(f"{url}{UPS}/export/jobs", json=body, headers=headers, timeout=30)
        job_id = job.json()["id"]
        while True:
            time.sleep(5)
            status = session.get(
                f"{url}{UPS}/export/jobs/{job_id}", headers=headers, timeout=30
            ).json()["status"]
            if status in ("SUCCEEDED", "FAILED"):
                return

    return export


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


# The transfer alone is timed, as for curl (which is handed the URLs); the listing and the
# process's start are not. Peak memory is the process's own (VmHWM).
DOWNLOAD_SCRIPT = (
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


def download(megabytes_per_part: int) -> dict[str, float]:
    """aep-export download vs curl on the same parts; the downloader's peak memory."""
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
        batch_id = export_batch(env)
        scratch = Path(tempfile.mkdtemp(prefix="aep-bench-download-"))
        try:
            ours_seconds, peak_kb = download_ours(env, batch_id, scratch / "ours")
            parts = sorted((scratch / "ours").rglob("*.parquet"))
            total = sum(p.stat().st_size for p in parts)
            curl_seconds = download_curl(server.url, env, parts, scratch / "curl")
            curl_total = sum(p.stat().st_size for p in (scratch / "curl").iterdir())
            assert curl_total == total, (curl_total, total)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    ours = total / ours_seconds / 1e6
    curl = total / curl_seconds / 1e6
    return {
        "megabytes": total / 1e6,
        "ours_mb_s": ours,
        "curl_mb_s": curl,
        "ratio": ours / curl,
        "peak_mb": peak_kb / 1024,
    }


def export_batch(env: dict[str, str]) -> str:
    """One export job run to its end in the sandbox of ``env``; its batch id."""
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
        batch_id: str = host.create("job", "big", inputs).outs["batch_id"]
        return batch_id


def download_ours(env: dict[str, str], batch_id: str, into: Path) -> tuple[float, int]:
    """``batch_id``'s files through the downloader, in a process of its own: (seconds of the
    transfer, the process's peak memory in kB)."""
    child_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AEP_")},
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", DOWNLOAD_SCRIPT, batch_id, str(into)],
        env=child_env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_kb = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb)


def download_curl(url: str, env: dict[str, str], parts: list[Path], into: Path) -> float:
    """The same part URLs, with the same headers, through ``curl``, 4 at once: its seconds."""
    argv = ["curl", "--silent", "--fail", "--parallel", "--parallel-max", "4"]
    for name, value in aep_headers(ims_token(url, env), env).items():
        argv += ["-H", f"{name}: {value}"]
    into.mkdir()
    for n, part in enumerate(parts):
        file_id = part.parent.name
        argv += [
            f"{url}/data/foundation/export/files/{file_id}?path={part.name}",
            "-o",
            str(into / f"{n}.parquet"),
        ]
    started = time.monotonic()
    subprocess.run(argv, check=True)
    return time.monotonic() - started


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
