"""aep-sandbox over real HTTP: the seed guide's flow, gateway checks, spec strictness, faults."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from aep_pulumi.testing import TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_ORG, SandboxHandle

from ..conftest import requires_specs, seed_sample

ROOT = Path(__file__).resolve().parents[2]


def token(
    url: str, client_id: str = TEST_CLIENT_ID, secret: str = TEST_CLIENT_SECRET
) -> requests.Response:
    return requests.post(
        f"{url}/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "openid",
        },
        timeout=5,
    )


def headers(url: str, sandbox: str = "prod") -> dict[str, str]:
    tok = token(url).json()["access_token"]
    return {
        "Authorization": f"Bearer {tok}",
        "x-api-key": TEST_CLIENT_ID,
        "x-gw-ims-org-id": TEST_ORG,
        "x-sandbox-name": sandbox,
    }


def test_the_guides_flow_end_to_end(aep_sandbox: SandboxHandle) -> None:
    url, h = aep_sandbox.url, headers(aep_sandbox.url)
    created = requests.post(
        f"{url}/data/foundation/catalog/dataSets",
        json=seed_sample("create_dataset_request"),
        headers=h,
        timeout=5,
    )
    assert created.status_code == 201 and created.json()[0].startswith("@/dataSets/")
    dataset_id = created.json()[0].rsplit("/", 1)[1]
    body: dict[str, Any] = seed_sample("create_job_request")
    body["destination"]["datasetId"] = dataset_id
    job = requests.post(f"{url}/data/core/ups/export/jobs", json=body, headers=h, timeout=5)
    assert (
        job.status_code == 200
        and job.json()["status"] == "NEW"
        and job.json()["destination"]["batchId"]
    )
    job_id, batch_id = job.json()["id"], job.json()["destination"]["batchId"]

    def newest_listed() -> dict[str, Any]:
        return dict(
            requests.get(
                f"{url}/data/core/ups/export/jobs", params={"limit": 10}, headers=h, timeout=5
            ).json()
        )

    # Like AEP: the listing shows a new job only a while after it was made (GET knows it).
    assert job_id not in [r["id"] for r in newest_listed()["records"]]
    deadline = time.monotonic() + 5
    while (
        status := requests.get(
            f"{url}/data/core/ups/export/jobs/{job_id}", headers=h, timeout=5
        ).json()["status"]
    ) != "SUCCEEDED":
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    while (listing := newest_listed())["records"][0]["id"] != job_id:
        assert time.monotonic() < deadline, "never listed"
        time.sleep(0.1)
    # Like AEP: other clients' jobs share the listing, newest first, in pages.
    ids = [r["id"] for r in listing["records"]]
    assert ids[0] == job_id and len(ids) == 10 and listing["link"]["next"]
    ours = listing["records"][0]
    # Like the guide's GET sample: the record does not echo fields, filter or additionalFields.
    assert not {"fields", "filter", "additionalFields"} & set(ours)
    seen = set(ids)
    next_link = listing["link"]["next"]
    while next_link:
        page = requests.get(f"{url}/data/core/ups{next_link}", headers=h, timeout=5).json()
        page_ids = [r["id"] for r in page["records"]]
        assert not seen & set(page_ids) and page_ids == sorted(page_ids, reverse=True)
        seen.update(page_ids)
        next_link = page["link"]["next"]
    assert len(seen) == 1 + aep_sandbox.app.config.foreign_jobs
    batch = requests.get(
        f"{url}/data/foundation/catalog/batches/{batch_id}", headers=h, timeout=5
    ).json()
    assert batch[batch_id]["status"] == "success"
    files = requests.get(
        f"{url}/data/foundation/export/batches/{batch_id}/files", headers=h, timeout=5
    ).json()["data"]
    file_id = files[0]["dataSetFileId"]
    parts = requests.get(
        f"{url}/data/foundation/export/files/{file_id}", headers=h, timeout=5
    ).json()["data"]
    content = requests.get(
        f"{url}/data/foundation/export/files/{file_id}",
        params={"path": parts[0]["name"]},
        headers=h,
        timeout=5,
    )
    import io

    import pyarrow.parquet as pq

    # Like AEP's Data Lake: Parquet.
    first = pq.read_table(io.BytesIO(content.content)).to_pylist()[0]
    assert (
        "address" in first["personalEmail"] and "eventList" in first and "homeAddress" not in first
    )
    ranged = requests.get(
        f"{url}/data/foundation/export/files/{file_id}",
        params={"path": parts[0]["name"]},
        headers={**h, "Range": "bytes=0-9"},
        timeout=5,
    )
    assert ranged.status_code == 206 and ranged.content == content.content[:10]
    cancelled = requests.delete(f"{url}/data/core/ups/export/jobs/{job_id}", headers=h, timeout=5)
    assert cancelled.status_code == 200 and cancelled.json()["status"] is True
    assert (
        requests.get(f"{url}/data/core/ups/export/jobs/{job_id}", headers=h, timeout=5).status_code
        == 404
    )
    assert aep_sandbox.app.violations == []


@pytest.mark.parametrize(
    ("drop", "status", "code"),
    [
        ("Authorization", 401, "401013"),
        ("x-api-key", 403, "403000"),
        ("x-gw-ims-org-id", 400, "400003"),
    ],
)
def test_gateway_checks_answer_in_aeps_shape(
    aep_sandbox: SandboxHandle, drop: str, status: int, code: str
) -> None:
    h = headers(aep_sandbox.url)
    del h[drop]
    reply = requests.get(f"{aep_sandbox.url}/data/core/ups/export/jobs", headers=h, timeout=5)
    assert (
        reply.status_code == status
        and reply.json()["error_code"] == code
        and reply.json()["message"]
    )


@requires_specs
def test_non_conforming_requests_get_a_400_naming_the_violation(aep_sandbox: SandboxHandle) -> None:
    h = headers(aep_sandbox.url)
    reply = requests.post(
        f"{aep_sandbox.url}/data/core/ups/export/jobs",
        json={"fields": ["a", "b"], "destination": {"datasetId": "d"}, "schema": {"name": "x"}},
        headers=h,
        timeout=5,
    )
    assert reply.status_code == 400
    assert "fields" in reply.text and "is not of type 'string'" in reply.text


def test_sandboxes_are_isolated(aep_sandbox: SandboxHandle) -> None:
    url = aep_sandbox.url
    requests.post(
        f"{url}/data/foundation/catalog/dataSets",
        json={"name": "x", "schemaRef": {"id": "https://a", "contentType": "b"}},
        headers=headers(url, "dev"),
        timeout=5,
    )
    assert (
        requests.get(
            f"{url}/data/foundation/catalog/dataSets", headers=headers(url, "prod"), timeout=5
        ).json()
        == {}
    )
    assert (
        len(
            requests.get(
                f"{url}/data/foundation/catalog/dataSets", headers=headers(url, "dev"), timeout=5
            ).json()
        )
        == 1
    )


def test_configured_credentials_are_enforced(aep_sandbox: SandboxHandle) -> None:
    aep_sandbox.app.config.credentials = {"only-me": "right"}
    assert token(aep_sandbox.url, "only-me", "wrong").status_code == 401
    assert token(aep_sandbox.url, "only-me", "right").json()["expires_in"] > 0


def test_scripted_faults_and_the_request_log(aep_sandbox: SandboxHandle) -> None:
    url, h = aep_sandbox.url, headers(aep_sandbox.url)
    requests.post(
        f"{url}/_sandbox/faults",
        json={
            "script": [
                {
                    "action": "throttle",
                    "method": "GET",
                    "retry_after_ms": 250,
                    "retry_after_header": 1,
                }
            ]
        },
        timeout=5,
    )
    throttled = requests.get(f"{url}/data/core/ups/export/jobs", headers=h, timeout=5)
    assert (
        throttled.status_code == 429
        and throttled.json()["retryAfterMs"] == 250
        and throttled.headers["Retry-After"] == "1"
    )
    requests.post(
        f"{url}/_sandbox/faults",
        json={"script": [{"action": "drop_after", "method": "POST"}]},
        timeout=5,
    )
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{url}/data/foundation/catalog/dataSets",
            json={"name": "x", "schemaRef": {"id": "https://a", "contentType": "b"}},
            headers=h,
            timeout=5,
        )
    assert len(aep_sandbox.state()["datasets"]) == 1, "processed, then the answer was lost"
    logged = " ".join(
        f"{e['method']} {e['path']} {e['status']}" for e in aep_sandbox.app.request_log
    )
    assert "GET /data/core/ups/export/jobs 429" in logged
    assert h["Authorization"][7:] not in str(aep_sandbox.app.request_log)


def test_cli_listens_quickly_and_stops(tmp_path: Path) -> None:
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aep_pulumi.sandbox",
            "--port",
            "0",
            "--state-file",
            str(tmp_path / "state.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert "listening on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[1].strip()
        assert token(url).status_code == 200
        assert time.monotonic() - started < 5
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "state.json").is_file()


def test_demo_without_a_pulumi_cli_says_so_then_shows_the_export(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin"
    # No CLI on PATH, none named, and an empty cache: what a machine without `make engine` has.
    env["XDG_CACHE_HOME"] = str(tmp_path)
    env.pop("AEP_PULUMI_ENGINE", None)
    assert not any((Path(p) / "pulumi").exists() for p in env["PATH"].split(os.pathsep))
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no Pulumi CLI here" in result.stderr and "make engine" in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("demo:")]) == 1
    out = result.stdout
    assert "[provider host]" in out and "-> SUCCEEDED" in out
    # The sandbox says whether it checks requests against Adobe's specs.
    assert re.search(r"aep-sandbox listening on \S+ \(requests (and responses )?are", out)
    assert re.search(r"batchId = [0-9a-f]{32}", out)
    assert "24 records" in out and '"identities": {"id":' in out
    assert "both resources deleted" in out


def test_demo_reads_back_the_exported_records(
    aep_sandbox: SandboxHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy

    from aep_pulumi.providers import DatasetProvider, ProfileExportJobProvider

    aep_sandbox.use()
    dataset = DatasetProvider().create({"name": "demo"})
    job = ProfileExportJobProvider().create(
        {"dataset_id": dataset.id, "fields": ["identities.id", "personalEmail.address"]}
    )
    demo = runpy.run_path(str(ROOT / "scripts" / "demo.py"), run_name="demo")
    demo["show_export"](aep_sandbox.env, (job.outs or {})["batch_id"])
    out = capsys.readouterr().out
    assert "24 records" in out and '"personalEmail": {"address":' in out


def _export_files(handle: SandboxHandle) -> Path:
    """Run the guide's export to its end on ``handle``; the folder its files went to."""
    url, h = handle.url, headers(handle.url)
    job_id = _start_export(handle)
    deadline = time.monotonic() + 10
    while (
        requests.get(f"{url}/data/core/ups/export/jobs/{job_id}", headers=h, timeout=5).json()[
            "status"
        ]
        != "SUCCEEDED"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return handle.app.store.data_dir()


def _start_export(handle: SandboxHandle | str) -> int:
    """Submit the guide's export on ``handle`` (or the sandbox at that URL); its job id."""
    url = handle if isinstance(handle, str) else handle.url
    h = headers(url)
    created = requests.post(
        f"{url}/data/foundation/catalog/dataSets",
        json=seed_sample("create_dataset_request"),
        headers=h,
        timeout=5,
    )
    body: dict[str, Any] = seed_sample("create_job_request")
    body["destination"]["datasetId"] = created.json()[0].rsplit("/", 1)[1]
    job_id: int = requests.post(
        f"{url}/data/core/ups/export/jobs", json=body, headers=h, timeout=5
    ).json()["id"]
    return job_id


def _parquet_written(handle: SandboxHandle, within: float) -> list[Path]:
    """The Parquet parts in the sandbox's data folder, once some are there (or after ``within``)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = sorted(handle.app.store.data_dir().rglob("*.parquet"))
        if found:
            return found
        time.sleep(0.05)
    return []


def test_an_exports_files_are_written_while_its_job_runs_not_when_it_is_seen_ending() -> None:
    """As AEP writes while the job runs: a status listing that sees many jobs end must not
    write their files itself, holding every other client's request up."""
    from aep_pulumi.testing import served_sandbox

    with served_sandbox(job_duration=6.0) as handle:
        url, h = handle.url, headers(handle.url)
        job_id = _start_export(handle)
        written = _parquet_written(handle, within=5.0)
        job = requests.get(f"{url}/data/core/ups/export/jobs/{job_id}", headers=h, timeout=5)
        files_url = (
            f"{url}/data/foundation/export/batches/{job.json()['destination']['batchId']}/files"
        )
        early = requests.get(files_url, headers=h, timeout=5)
        assert written, "no files were written while the job ran"
        assert job.json()["status"] != "SUCCEEDED", "the files came with the job's end"
        assert early.status_code == 200 and early.json()["data"] == [], "files shown too soon"
        while job.json()["status"] != "SUCCEEDED":
            time.sleep(0.1)
            job = requests.get(f"{url}/data/core/ups/export/jobs/{job_id}", headers=h, timeout=5)
        listed = requests.get(files_url, headers=h, timeout=5)
        assert listed.status_code == 200 and listed.json()["data"], listed.text
        assert sorted(handle.app.store.data_dir().rglob("*.parquet")) == written


def test_a_job_cancelled_after_its_files_were_written_leaves_none() -> None:
    from aep_pulumi.testing import served_sandbox

    with served_sandbox(job_duration=6.0) as handle:
        url, h = handle.url, headers(handle.url)
        job_id = _start_export(handle)
        assert _parquet_written(handle, within=5.0)
        deleted = requests.delete(f"{url}/data/core/ups/export/jobs/{job_id}", headers=h, timeout=5)
        assert deleted.status_code in (200, 202, 204), deleted.text
        assert not any(handle.app.store.data_dir().rglob("*.parquet"))


def test_the_sandbox_leaves_nothing_in_the_temp_folder(tmp_path: Path) -> None:
    from aep_pulumi.testing import served_sandbox

    with served_sandbox(job_duration=0.1) as handle:
        folder = _export_files(handle)
        assert any(folder.rglob("*")), "the export wrote files"
    assert not folder.exists(), "a stopped sandbox removes its files"

    # A sandbox that is never stopped: its files go when the process ends.
    script = (
        "from aep_pulumi.testing import make_app\napp = make_app()\nprint(app.store.data_dir())\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert not Path(made.stdout.strip()).exists()

    # Nor when the process ends while the sandbox is still writing exports' files: 400 jobs
    # whose writes begin 1 s after each was made (half their duration), about 5 ms each.
    script = (
        "import time\n"
        "from aep_pulumi.testing import make_app\n"
        "app = make_app(job_duration=2)\n"
        "body = {'fields': 'identities.id', 'destination': {'datasetId': 'd'}}\n"
        "for _ in range(400):\n"
        "    app.store.create_job('prod', body, 'org@AdobeOrg', 0.5)\n"
        "time.sleep(1.5)\n"
        "print(app.store.data_dir(), sum(1 for _ in app.store.data_dir().rglob('*.parquet')))\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    folder_text, written = made.stdout.split()
    assert 0 < int(written) < 400, f"the process ended with {written} of 400 exports written"
    assert not Path(folder_text).exists(), "a write in flight at exit left its folder behind"


def test_a_persisted_sandbox_keeps_its_files_beside_its_state(tmp_path: Path) -> None:
    from aep_pulumi.sandbox import SandboxApp, SandboxConfig

    app = SandboxApp(SandboxConfig(), state_file=tmp_path / "state.json")
    folder = app.store.data_dir()
    app.close()
    assert folder == tmp_path / "state-files" and folder.is_dir()


def test_the_state_endpoint_and_the_kits_handle_agree(aep_sandbox: SandboxHandle) -> None:
    created = requests.post(
        f"{aep_sandbox.url}/data/foundation/catalog/dataSets",
        json=seed_sample("create_dataset_request"),
        headers=headers(aep_sandbox.url, "dev"),
        timeout=5,
    )
    assert created.status_code == 201
    served = requests.get(f"{aep_sandbox.url}/_sandbox/state?sandbox=dev", timeout=5).json()
    assert {k: served[k] for k in ("datasets", "jobs")} == aep_sandbox.state("dev")
    assert list(served["sandboxes"]["dev"]["datasets"]) == list(served["datasets"])
    prod = requests.get(f"{aep_sandbox.url}/_sandbox/state", timeout=5).json()
    assert {k: prod[k] for k in ("datasets", "jobs")} == aep_sandbox.state()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_the_cli_stopped_by_a_signal_removes_its_files(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """`kill PID`, `timeout` (SIGTERM) and a closed terminal (SIGHUP) stop `aep-sandbox` as
    Ctrl-C does: at once, and with its export files gone from the temporary folder."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("aep-sandbox")),
            "--port",
            str(port),
            "--job-duration",
            "0.2",
            "--quiet",
        ],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert f"listening on http://127.0.0.1:{port}" in line, line
        url = f"http://127.0.0.1:{port}"
        assert token(url).status_code == 200
        assert _start_export(url) > 0
        deadline = time.monotonic() + 10
        while not any(temp.rglob("*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.05)
        (folder,) = temp.iterdir()
        assert folder.name.startswith(f"aep-sandbox-data-{process.pid}-")
        assert any(folder.rglob("*.parquet")), "the export wrote its files"

        sent = time.monotonic()
        process.send_signal(stop)
        code = process.wait(timeout=10)
        assert time.monotonic() - sent < 3, "it stops promptly"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert list(temp.iterdir()) == [], f"{stop.name} left the sandbox's files behind"
    assert code == 0, f"it stops cleanly on {stop.name} (exit status {code})"


def test_admin_config_credentials_as_a_list_is_a_400_and_ims_keeps_working(
    aep_sandbox: SandboxHandle,
) -> None:
    """A list where the map `{client id: secret}` is expected was once accepted, and every IMS
    request then answered 500 (an AttributeError)."""
    url = aep_sandbox.url
    refused = requests.post(
        f"{url}/_sandbox/config", json={"credentials": [TEST_CLIENT_ID]}, timeout=5
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "credentials"
    assert "client id -> secret" in refused.json()["error"]
    assert token(url).status_code == 200, "the refused value was not applied"
    accepted = requests.post(
        f"{url}/_sandbox/config", json={"credentials": {"only-me": "right"}}, timeout=5
    )
    assert accepted.status_code == 200 and accepted.json()["credentials"] == ["only-me"]
    assert token(url, "only-me", "right").status_code == 200
    assert token(url).status_code == 401


def _wrong_value(hint: str) -> Any:
    """A JSON value of another type than the field's declared one."""
    return "not a number" if ("float" in hint or "int" in hint) else 12


def _admin_fields() -> list[tuple[str, dict[str, Any], str]]:
    """(endpoint, body with one wrong field, the field's name), for every admin field."""
    from dataclasses import fields

    from aep_pulumi.sandbox.config import SandboxConfig
    from aep_pulumi.sandbox.faults import FaultRates, ScriptedFault

    cases = [("config", {f.name: _wrong_value(str(f.type))}, f.name) for f in fields(SandboxConfig)]
    cases += [
        ("faults", {"rates": {f.name: _wrong_value(str(f.type))}}, f"rates.{f.name}")
        for f in fields(FaultRates)
    ]
    cases += [
        (
            "faults",
            {"script": [{"action": "error", f.name: _wrong_value(str(f.type))}]},
            f"script[0].{f.name}",
        )
        for f in fields(ScriptedFault)
    ]
    cases += [
        ("faults", {"script": {"action": "error"}}, "script"),
        ("faults", {"rates": [0.5]}, "rates"),
        ("faults", {"script": [{"method": "GET"}]}, "script[0].action"),
        ("faults", {"script": [{"action": "explode"}]}, "script[0].action"),
        ("faults", {"rate": {}}, "rate"),
        ("config", {"job_duraton": 1}, "job_duraton"),
        ("config", ["job_duration", 1], "body"),
    ]
    return cases


@pytest.mark.parametrize(("endpoint", "body", "field"), _admin_fields())
def test_every_admin_field_of_the_wrong_shape_is_a_400_naming_it(
    aep_sandbox: SandboxHandle, endpoint: str, body: Any, field: str
) -> None:
    url = aep_sandbox.url
    before = requests.get(f"{url}/_sandbox/{endpoint}", timeout=5).json()
    answer = requests.post(f"{url}/_sandbox/{endpoint}", json=body, timeout=5)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field
    assert answer.json()["error"].startswith(f"{field}: ")
    assert requests.get(f"{url}/_sandbox/{endpoint}", timeout=5).json() == before, "unchanged"


def test_the_admin_config_shape_in_the_manual_names_every_field(
    aep_sandbox: SandboxHandle,
) -> None:
    from dataclasses import fields

    from aep_pulumi.sandbox.config import SandboxConfig

    page = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    section = page.split("## Admin endpoints", 1)[1]
    assert [f.name for f in fields(SandboxConfig) if f"`{f.name}`" not in section] == []
    quoted = re.search(r'\{"error": "(credentials: [^"]+)", "field":\s+"credentials"\}', section)
    assert quoted is not None
    answer = requests.post(
        f"{aep_sandbox.url}/_sandbox/config", json={"credentials": ["x"]}, timeout=5
    )
    assert answer.json() == {"error": quoted.group(1), "field": "credentials"}
