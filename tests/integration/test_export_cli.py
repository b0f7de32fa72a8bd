"""`aep-export` as users run it: its options before or after the command, sandbox names checked
as AEP_SANDBOX_NAME is, configuration messages in the CLI's own terms (environment variables),
and `jobs`, the sandbox's export jobs as users check on them."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable

import pytest

from aep_pulumi.testing import SandboxHandle, provider_host_for

from ..conftest import run_export_cli

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(live_sandbox: SandboxHandle) -> Cli:
    def run(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
        full = {k: v for k, v in os.environ.items() if not k.startswith("AEP_")}
        full.update(live_sandbox.env)
        for key, value in env.items():
            if value is None:
                full.pop(key, None)
            else:
                full[key] = value
        return run_export_cli(full, *args)

    return run


def one_export(sandbox: SandboxHandle, **job: object) -> tuple[str, str, str]:
    with provider_host_for(sandbox) as host:
        inputs, _ = host.check("dataset", "target", {"name": "cli"})
        dataset = host.create("dataset", "target", inputs)
        job_inputs, _ = host.check(
            "job", "export", {"dataset_id": dataset.id, "fields": ["identities.id"], **job}
        )
        created = host.create("job", "export", job_inputs)
    return dataset.id, created.id, created.outs["batch_id"]


def test_jobs_lists_the_sandboxs_export_jobs(cli: Cli, live_sandbox: SandboxHandle) -> None:
    dataset_id, job_id, batch_id = one_export(live_sandbox)
    # Like AEP, the listing shows a new job a little after it was made.
    time.sleep(live_sandbox.app.config.listing_lag)
    listed = cli("jobs", "--dataset", dataset_id)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["JOB", "STATUS", "DATASET", "BATCH", "AGE"]
    assert [r.split()[:4] for r in rows] == [[job_id, "SUCCEEDED", dataset_id, batch_id]]
    assert rows[0].split()[4].endswith("s"), "its age"
    # Other clients' jobs share the listing: without a filter they show too, newest first.
    everything = json.loads(cli("jobs", "--limit", "50", "--json").stdout)
    assert str(everything[0]["id"]) == job_id and len(everything) > 10
    # A status AEP filters by (NEW, SUCCEEDED, FAILED), in any case, and one it does not.
    statuses = {j["status"] for j in everything}
    assert {"NEW", "SUCCEEDED"} <= statuses
    for status in ("new", *(statuses - {"NEW", "SUCCEEDED", "FAILED"})):
        only = json.loads(cli("jobs", "--status", status, "--json").stdout)
        assert only and {j["status"] for j in only} == {status.upper()}


def test_options_go_before_or_after_the_command(cli: Cli, live_sandbox: SandboxHandle) -> None:
    _, _, batch_id = one_export(live_sandbox)
    before = cli("--sandbox", "prod", "files", batch_id)
    after = cli("files", batch_id, "--sandbox", "prod")
    assert before.returncode == after.returncode == 0, after.stderr
    assert before.stdout == after.stdout and ".parquet" in after.stdout
    elsewhere = cli("files", batch_id, "--sandbox", "dev")
    assert elsewhere.returncode == 1, "the batch is not in sandbox dev"


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_sandbox_name_is_checked_as_the_variable_is(
    cli: Cli, live_sandbox: SandboxHandle, where: str
) -> None:
    before = len(live_sandbox.app.request_log)
    args = ["--sandbox", "Dev", "jobs"] if where == "before" else ["jobs", "--sandbox", "Dev"]
    bad = cli(*args)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "aep-export: --sandbox must be the all-lower-case sandbox name, got 'Dev'"
    )
    by_variable = cli("jobs", AEP_SANDBOX_NAME="Dev")
    assert by_variable.returncode == 2 and "AEP_SANDBOX_NAME" in by_variable.stderr
    assert len(live_sandbox.app.request_log) == before, "nothing was sent"


def test_missing_configuration_names_the_environment_variables(cli: Cli) -> None:
    missing = cli("jobs", AEP_CLIENT_SECRET=None)
    assert missing.returncode == 2
    assert "AEP_CLIENT_SECRET is required with AEP_CLIENT_ID" in missing.stderr
    assert "aep:" not in missing.stderr and "pulumi config" not in missing.stderr
    no_org = cli("jobs", AEP_ORG_ID=None)
    assert no_org.stderr.strip() == "aep-export: missing configuration: AEP_ORG_ID is required"
