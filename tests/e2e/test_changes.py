"""The change matrix on the flagship, previewed and then applied through the real engine, and
the test kit's `plan()` of the same change beside it: operation and driving properties agree."""

from __future__ import annotations

from typing import Any

import pytest

from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.engine import Project, Run, Workspace
from aep_pulumi.testing.engine_mocks import plan

from .conftest import EXAMPLES, aep_calls, deployable

FLAGSHIP = EXAMPLES / "profile_export"
DATASET, JOB = "profile-export-target", "profile-export"


def driving(run: Run) -> dict[str, list[str]]:
    """The properties behind each resource's operation, as the engine reports them: a
    replacement's ``keys``; for an update, the inputs that differ between the step's old and new
    state (a dynamic provider's Diff names no ``diffs`` of its own)."""
    keys: dict[str, list[str]] = {}
    for event in run.events:
        meta = (event.get("resource_pre_event") or {}).get("metadata") or {}
        urn = meta.get("urn", "")
        if not urn or str(meta.get("type", "")).startswith("pulumi:"):
            continue
        name = urn.rsplit("::", 1)[-1]
        found = set(meta.get("keys") or []) | set(meta.get("diffs") or [])
        if meta.get("op") == "update":
            old = (meta.get("old") or {}).get("inputs") or {}
            new = (meta.get("new") or {}).get("inputs") or {}
            found |= {k for k in set(old) | set(new) if old.get(k) != new.get(k)} - {"__provider"}
        keys[name] = sorted(set(keys.get(name, [])) | found)
    return keys


def up_then_preview(project: Project, change: dict[str, Any]) -> Run:
    assert project.run("up").ok
    for key, value in change.items():
        project.config(key, value)
    preview = project.run("preview")
    assert preview.ok, preview.stderr
    return preview


CHANGES = [
    ("rename", {"datasetName": "Renamed export target"}, {DATASET: "update", JOB: "same"}),
    ("tag", {"datasetTags": {"team": ["growth"]}}, {DATASET: "update", JOB: "same"}),
    ("fields", {"fields": ["identities.id"]}, {DATASET: "same", JOB: "replace"}),
    ("triggers", {"exportRun": "2"}, {DATASET: "same", JOB: "replace"}),
    ("wait timeout", {"waitTimeoutSeconds": 7200}, {DATASET: "same", JOB: "update"}),
]


@pytest.mark.parametrize(("label", "change", "expected"), CHANGES, ids=[c[0] for c in CHANGES])
def test_each_change_previews_as_the_kit_plans_it_and_applies(
    workspace: Workspace,
    sandbox: SandboxHandle,
    label: str,
    change: dict[str, Any],
    expected: dict[str, str],
) -> None:
    project = deployable(workspace, sandbox, "profile_export")
    before = project.resources()
    preview = up_then_preview(project, change) if not before else None
    assert preview is not None
    assert preview.steps() == expected, preview.steps()

    kit = plan(FLAGSHIP, stack_config_after=change)
    assert kit.ops() == preview.steps(), (kit.ops(), preview.steps())
    engine_keys = driving(preview)
    for name, op in expected.items():
        if op != "same":
            assert kit.steps[name].properties == engine_keys[name], (name, engine_keys)

    state = project.resources()
    since = len(sandbox.app.request_log)
    up = project.run("up")
    assert up.ok, up.stderr
    after = project.resources()
    calls = aep_calls(sandbox, since)
    if expected[JOB] == "replace":
        assert after[JOB]["id"] != state[JOB]["id"]
        assert str(state[JOB]["id"]) not in sandbox.state()["jobs"], "the old job was deleted"
    else:
        assert after[JOB]["id"] == state[JOB]["id"]
    if label == "rename":
        assert sandbox.state()["datasets"][after[DATASET]["id"]]["name"] == change["datasetName"]
    if label == "tag":
        assert sandbox.state()["datasets"][after[DATASET]["id"]]["tags"]["team"] == ["growth"]
    if label == "wait timeout":
        assert calls == [], f"an update of wait_timeout_seconds calls no AEP API: {calls}"
        assert after[JOB]["outputs"]["wait_timeout_seconds"] == 7200


def test_the_same_program_previews_no_change(workspace: Workspace, sandbox: SandboxHandle) -> None:
    project = deployable(workspace, sandbox, "profile_export")
    preview = up_then_preview(project, {})
    assert set(preview.steps().values()) == {"same"}
    assert set(plan(FLAGSHIP).ops().values()) == {"same"}


def test_a_bad_input_fails_the_preview_naming_the_property(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    project = deployable(workspace, sandbox, "profile_export")
    project.config("fields", ["identities.id", "not a path!"])
    before = len(sandbox.app.request_log)
    preview = project.run("preview")
    assert not preview.ok
    # The engine words it `property fields[1] value {<nil>} has a problem: <reason>`.
    assert "property fields[1] " in preview.text()
    assert "has a problem: not a dot path of field names: 'not a path!'" in preview.text()
    assert aep_calls(sandbox, before) == []


def test_a_malformed_config_value_fails_the_preview_naming_the_key(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    project = deployable(workspace, sandbox, "profile_export")
    project.config("aep:maxRetries", "many")
    preview = project.run("preview")
    assert not preview.ok
    assert "aep:maxRetries" in preview.text() and "must be a whole number" in preview.text()


def test_a_renamed_stack_carries_its_jobs_claim_over(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """`pulumi stack rename` (#27): the next `up` updates the job in place (its `owner`), exports
    nothing, and the job's claim on the dataset names the new stack, so a new stack that takes
    the old name never finds the job claimed as its own."""
    project = deployable(workspace, sandbox, "profile_export", stack="dev")
    assert project.run("up").ok
    before = project.resources()
    assert project.cli("stack", "rename", "dev2").ok
    project.stack = "dev2"
    preview = project.run("preview")
    assert preview.ok, preview.stderr
    assert preview.steps() == {DATASET: "same", JOB: "update"}, preview.steps()
    assert driving(preview)[JOB] == ["owner"]
    up = project.run("up")
    assert up.ok, up.stderr
    after = project.resources()
    job_id = after[JOB]["id"]
    assert job_id == before[JOB]["id"] and list(sandbox.state()["jobs"]) == [job_id]
    tags = sandbox.state()["datasets"][after[DATASET]["id"]]["tags"]
    owner = next(v for v in tags[f"aep-pulumi/job-{job_id}"] if v.startswith("owner:"))
    assert owner.endswith("/dev2/profile-export"), owner
    assert project.run("preview").steps() == {DATASET: "same", JOB: "same"}
