"""The exported data through real sockets: files as outputs, the resumable downloader, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from aep_pulumi.aep.client import AepClient
from aep_pulumi.cli.downloader import Downloader, list_export_files, read_records
from aep_pulumi.errors import AepError
from aep_pulumi.sandbox import SandboxServer, ScriptedFault
from aep_pulumi.sandbox.population import export_records
from aep_pulumi.testing import SandboxHandle, make_app, provider_host_for, sandbox_env
from aep_pulumi.testing.provider_host import ProviderHost

from ..conftest import run_export_cli

pytestmark = pytest.mark.integration
FIELDS = ["identities.id", "personalEmail.address"]


@pytest.fixture(scope="module")
def big() -> Iterator[SandboxHandle]:
    """Batches of 3 files x 2 parts of ~300 KB, listed 2 to a page."""
    app = make_app(
        job_duration=0.2,
        export_files=3,
        export_parts=2,
        export_part_bytes=300_000,
        data_access_page_size=2,
    )
    with SandboxServer(app) as server:
        yield SandboxHandle(server.url, app, sandbox_env(server.url))


@pytest.fixture(scope="module")
def host(big: SandboxHandle) -> Iterator[ProviderHost]:
    with provider_host_for(big) as provider_host:
        yield provider_host


def _dataset(host: ProviderHost) -> str:
    inputs, _ = host.check("dataset", "t", {"name": "t"})
    return host.create("dataset", "t", inputs).id


def _export(host: ProviderHost, name: str = "j", **props: Any) -> dict[str, Any]:
    inputs, failures = host.check(
        "job", name, {"dataset_id": _dataset(host), "fields": FIELDS, **props}
    )
    assert failures == []
    return host.create("job", name, inputs).outs


def test_a_succeeded_job_reports_its_files_and_refresh_keeps_them(
    host: ProviderHost, big: SandboxHandle
) -> None:
    before = len(big.app.request_log)
    outs = _export(host)
    files = outs["files"]
    assert len(files) == 3 and all(len(f["parts"]) == 2 for f in files)
    assert {f["batch_id"] for f in files} == {outs["batch_id"]}
    assert all(
        p["size"] > 250_000 and p["name"].endswith(".parquet") for f in files for p in f["parts"]
    )
    assert all(f["records"] and f["size"] == sum(p["size"] for p in f["parts"]) for f in files)
    listings = [
        e for e in big.app.request_log[before:] if e["path"].startswith("/data/foundation/export")
    ]
    # 3 files two to a page: 2 pages of the batch's files, then one listing per file.
    assert len(listings) == 2 + 3
    job_id = str(int(outs["job_id"]))
    before = len(big.app.request_log)
    _, refreshed, _ = host.read("job", "j", job_id, outs)
    assert refreshed["files"] == files
    assert not [e for e in big.app.request_log[before:] if "/data/foundation/export" in e["path"]]


def test_report_files_false_makes_no_data_access_call(
    host: ProviderHost, big: SandboxHandle
) -> None:
    before = len(big.app.request_log)
    outs = _export(host, report_files=False)
    assert outs.get("files") is None
    assert not [e for e in big.app.request_log[before:] if "/data/foundation/export" in e["path"]]


def test_profile_export_wait_reports_each_jobs_files(host: ProviderHost) -> None:
    dataset_id = _dataset(host)
    ids = []
    for n in range(2):
        inputs, _ = host.check(
            "job",
            f"w{n}",
            {
                "dataset_id": dataset_id,
                "fields": FIELDS,
                "triggers": [n],
                "wait_for_completion": False,
            },
        )
        ids.append(host.create("job", f"w{n}", inputs).id)
    inputs, _ = host.check("wait", "all", {"job_ids": ids})
    outs = host.create("wait", "all", inputs).outs
    assert set(outs["files"]) == set(ids) and all(len(v) == 3 for v in outs["files"].values())


@pytest.fixture
def batch(host: ProviderHost, big: SandboxHandle) -> tuple[AepClient, str, int]:
    outs = _export(host, report_files=False)
    client = big.client()
    files = list_export_files(client, [outs["batch_id"]])
    return client, outs["batch_id"], sum(p.size or 0 for f in files for p in f.parts)


def test_every_part_downloads_and_reads_back(
    batch: tuple[AepClient, str, int], big: SandboxHandle, tmp_path: Path
) -> None:
    client, batch_id, total = batch
    served = big.app.bytes_served
    report = Downloader(client, tmp_path, parallel=4).download_batch(batch_id)
    assert len(report.paths) == 6 and report.fetched_bytes == total
    assert big.app.bytes_served - served == total
    assert not list(tmp_path.rglob("*.part"))
    first = read_records(report.paths, 3)
    expected = export_records({"fields": ",".join(FIELDS)})
    assert first[0] in expected and {"identities", "personalEmail"} == set(first[0])
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in report.paths)
    assert rows > 6 * 24


def test_a_connection_dropped_mid_file_resumes_without_refetching(
    batch: tuple[AepClient, str, int], big: SandboxHandle, tmp_path: Path
) -> None:
    client, batch_id, total = batch
    big.app.faults.add(ScriptedFault("truncate", method="GET", path_contains="?path=", times=3))
    served = big.app.bytes_served
    report = Downloader(client, tmp_path, parallel=2, sleep=lambda _s: None).download_batch(
        batch_id
    )
    assert report.fetched_bytes == total, "resumed with Range: no byte fetched twice"
    assert big.app.bytes_served - served == total
    assert all(p.stat().st_size > 0 for p in report.paths)


def test_an_interrupted_download_resumes_on_the_next_run(
    batch: tuple[AepClient, str, int], big: SandboxHandle, tmp_path: Path
) -> None:
    client, batch_id, total = batch
    big.app.faults.add(ScriptedFault("truncate", method="GET", path_contains="?path=", times=50))
    with pytest.raises(AepError, match="resumes from there"):
        Downloader(client, tmp_path, parallel=1, attempts=1, sleep=lambda _s: None).download_batch(
            batch_id
        )
    big.app.faults.clear()
    partials = list(tmp_path.rglob("*.part"))
    assert partials, "the interrupted part is kept under a temporary name"
    finals = [p for p in tmp_path.rglob("*.parquet")]
    assert finals == [], "nothing partial under a final name"
    kept = sum(p.stat().st_size for p in partials)
    served = big.app.bytes_served
    report = Downloader(client, tmp_path, parallel=3).download_batch(batch_id)
    assert report.reused_bytes == kept and report.fetched_bytes == total - kept
    assert big.app.bytes_served - served == total - kept
    assert not list(tmp_path.rglob("*.part"))


def test_a_5xx_mid_download_is_retried(
    batch: tuple[AepClient, str, int], big: SandboxHandle, tmp_path: Path
) -> None:
    client, batch_id, _ = batch
    big.app.faults.add(
        ScriptedFault("error", method="GET", path_contains="?path=", status=503, times=2)
    )
    report = Downloader(client, tmp_path).download_batch(batch_id)
    assert len(report.paths) == 6


def test_a_size_mismatch_is_an_error_and_leaves_nothing_under_the_final_name(
    batch: tuple[AepClient, str, int], big: SandboxHandle, tmp_path: Path
) -> None:
    client, batch_id, _ = batch
    files = list_export_files(client, [batch_id])
    victim = big.app.store.space("prod").files[files[0].file_id]["parts"][0]
    with open(victim["path"], "r+b") as fh:  # the stored part no longer matches its listing
        fh.truncate(1000)
    with pytest.raises(AepError, match="the listing says"):
        Downloader(client, tmp_path).download(files[:1])
    name = files[0].parts[0].name
    assert not (tmp_path / batch_id / files[0].file_id / name).exists()
    assert not list(tmp_path.rglob("*.part"))


def test_the_cli_lists_downloads_and_prints_records(
    batch: tuple[AepClient, str, int], big: SandboxHandle, tmp_path: Path
) -> None:
    _, batch_id, total = batch
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEP_")}
    env.update(big.env)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_export_cli(env, *args)

    listed = cli("files", batch_id)
    assert listed.returncode == 0 and listed.stdout.count(".parquet") == 6
    downloaded = cli("download", batch_id, "--out", str(tmp_path), "--no-progress")
    assert downloaded.returncode == 0 and f"{total} bytes fetched" in downloaded.stderr
    again = cli("download", batch_id, "--out", str(tmp_path), "--no-progress")
    assert f"0 bytes fetched, {total} already there" in again.stderr
    head = cli("head", batch_id, "-n", "3")
    assert head.returncode == 0
    lines = head.stdout.splitlines()
    assert lines[0].split() == ["identities.id", "personalEmail.address"] and len(lines) == 5
    missing = cli("files", "nosuchbatch")
    assert missing.returncode == 1 and missing.stderr.startswith("aep-export: ")
    assert "Traceback" not in missing.stderr
    assert (
        env["AEP_CLIENT_SECRET"]
        not in listed.stdout + downloaded.stderr + head.stdout + missing.stderr
    )


def test_downloader_memory_stays_bounded(tmp_path: Path) -> None:
    """A 40 MB part through the downloader: the process grows by far less than the part."""
    app = make_app(job_duration=0.1, export_part_bytes=40 * 1024 * 1024)
    with SandboxServer(app) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AEP_")}
        env.update(sandbox_env(server.url))
        handle = SandboxHandle(server.url, app, sandbox_env(server.url))
        with provider_host_for(handle) as host:
            outs = _export(host, report_files=False)
        script = (
            "import sys\n"
            "from aep_pulumi.cli.export import run\n"
            "import aep_pulumi.aep.client, aep_pulumi.cli.downloader, tqdm  # loaded before the baseline\n"
            "base = int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
            "run(['download', sys.argv[1], '--out', sys.argv[2], '--no-progress'])\n"
            "print((int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]) - base) // 1024)\n"
        )
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", script, outs["batch_id"], str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        grown_mb = int(done.stdout.strip().splitlines()[-1])
        assert grown_mb < 20, f"downloader grew by {grown_mb} MB for a 40 MB part"
        assert time.monotonic() - started < 60
