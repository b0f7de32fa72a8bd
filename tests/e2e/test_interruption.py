"""An `up` interrupted while its export runs: SIGINT (Ctrl-C) and SIGKILL (a killed CI runner).
What the state holds, what the next `up` says and does, and that nothing is exported twice."""

from __future__ import annotations

import os
import signal
import time

from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.engine import Project, Workspace
from aep_pulumi.testing.processes import cli_pid, kill_tree

from .conftest import deployable

JOB = "profile-export"


def start_up_and_wait_for_the_job(project: Project, sandbox: SandboxHandle) -> object:
    process = project.start("up")
    deadline = time.monotonic() + 60
    while not sandbox.state()["jobs"]:
        assert time.monotonic() < deadline and process.poll() is None, "the job was never submitted"
        time.sleep(0.1)
    time.sleep(1.0)  # the create is now waiting for the job
    return process


def test_sigint_waits_for_the_running_create_then_cancels(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    sandbox.app.config.job_duration = 8.0
    project = deployable(workspace, sandbox, "profile_export")
    process = start_up_and_wait_for_the_job(project, sandbox)
    pid = cli_pid(process)  # type: ignore[arg-type]
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    interrupted = project.finish(process)  # type: ignore[arg-type]
    assert not interrupted.ok and "update canceled" in interrupted.text()
    # The engine let the create in flight finish (a dynamic provider has no Cancel): the state
    # holds the job, with no pending operation.
    deployment = project.state()["deployment"]
    assert not deployment.get("pending_operations")
    (job_id,) = sandbox.state()["jobs"]
    assert project.resources()[JOB]["id"] == job_id
    again = project.run("up")
    assert again.ok and set(again.steps().values()) == {"same"}
    assert list(sandbox.state()["jobs"]) == [job_id], "exported once"


def test_sigkill_leaves_a_pending_create_that_the_next_up_adopts(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    sandbox.app.config.job_duration = 30.0
    project = deployable(workspace, sandbox, "profile_export")
    process = start_up_and_wait_for_the_job(project, sandbox)
    kill_tree(process)  # type: ignore[arg-type]
    process.wait()  # type: ignore[attr-defined]
    deployment = project.state()["deployment"]
    pending = deployment.get("pending_operations") or []
    assert [(p["type"], p["resource"]["urn"].rsplit("::", 1)[-1]) for p in pending] == [
        ("creating", JOB)
    ]
    assert JOB not in project.resources()
    (job_id,) = sandbox.state()["jobs"]
    locked = project.run("up")
    assert not locked.ok and "locked" in locked.text(), "the killed update left its lock"
    assert project.cli("cancel", "--yes").ok
    sandbox.app.config.job_duration = 1.0
    again = project.run("up")
    assert again.ok, again.stderr
    text = again.text()
    assert "interrupted while creating" in text
    assert f"export job {job_id} (" in text and "it is adopted instead of exporting again" in text
    assert project.resources()[JOB]["id"] == job_id
    assert list(sandbox.state()["jobs"]) == [job_id], "exported once"
