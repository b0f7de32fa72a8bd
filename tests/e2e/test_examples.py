"""Every example through the real engine: preview (no credentials, no AEP call), up, the stack
output, a refresh with no changes, and a destroy that leaves nothing in AEP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.engine import Workspace

from .conftest import EXAMPLES, NATIVE_EXAMPLES, aep_calls, deployable

# example -> its stack output that holds what was exported
EXAMPLE_OUTPUTS = {
    "profile_export": "batchId",
    "profiles_only": "batchId",
    "segment_export": "batches",
    "many_exports": "batchIds",
}


def test_every_example_is_covered() -> None:
    """Each example is run here or, on the native provider, by test_native.py."""
    assert {p.name for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").is_file()} == set(
        EXAMPLE_OUTPUTS
    ) | set(NATIVE_EXAMPLES)


@pytest.mark.parametrize("example", sorted(EXAMPLE_OUTPUTS))
def test_preview_up_output_refresh_destroy(
    workspace: Workspace, sandbox: SandboxHandle, example: str
) -> None:
    project = workspace.project(EXAMPLES / example).init("e2e")
    before = len(sandbox.app.request_log)
    no_credentials = workspace.environment(
        AEP_ORG_ID=None, AEP_CLIENT_ID=None, AEP_CLIENT_SECRET=None
    )
    preview = project.run("preview", env=no_credentials)
    assert preview.ok, preview.stderr
    assert set(preview.steps().values()) == {"create"}, preview.steps()
    assert len(sandbox.app.request_log) == before, "a preview made no AEP (or IMS) call"
    assert "`pulumi up` will need it" in preview.text()

    project.config("aep:clientSecret", sandbox.env["AEP_CLIENT_SECRET"], secret=True)
    up = project.run("up")
    assert up.ok, up.stderr
    output = EXAMPLE_OUTPUTS[example]
    value = project.cli("stack", "output", output, "--json")
    assert value.ok and value.stdout.strip() not in ("", "null", "{}", "[]"), value
    ours = sandbox.state()
    assert ours["jobs"] and all(j["status"] == "SUCCEEDED" for j in ours["jobs"].values())
    if output == "batchId":
        assert value.stdout.strip().strip('"') in str(project.resources())

    since = len(sandbox.app.request_log)
    refresh = project.cli("refresh", "--yes", "--expect-no-changes")
    assert refresh.ok, refresh.stdout + refresh.stderr
    assert all(c.startswith("GET ") for c in aep_calls(sandbox, since)), "refresh only reads"

    destroy = project.cli("destroy", "--yes")
    assert destroy.ok, destroy.stderr
    assert sandbox.state() == {"datasets": {}, "jobs": {}}
    assert project.resources() == {}


def test_the_flagship_batch_id_is_the_jobs(workspace: Workspace, sandbox: SandboxHandle) -> None:
    project = deployable(workspace, sandbox, "profile_export")
    assert project.run("up").ok
    batch_id = project.cli("stack", "output", "batchId")
    job = project.resources()["profile-export"]
    assert batch_id.stdout.strip() == job["outputs"]["batch_id"]
    job_id = job["id"]
    assert (
        sandbox.app.store.job_view("prod", int(job_id))["destination"]["batchId"]
        == job["outputs"]["batch_id"]
    )


def test_make_demo_runs_the_flagship_through_the_real_engine(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from .conftest import ENGINE, ROOT

    assert ENGINE is not None
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        env={**os.environ, "AEP_PULUMI_ENGINE": str(ENGINE)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo: the real Pulumi engine" in result.stdout
    assert "Updating (sandbox)" in result.stdout and "+ 3 created" in result.stdout
    assert re.search(r"batchId = [0-9a-f]{32}", result.stdout)
    assert '"identities": {"id":' in result.stdout and "- 3 deleted" in result.stdout
    assert not (ROOT / ".pulumi-demo").exists(), "the demo leaves nothing behind"
