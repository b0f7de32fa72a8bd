"""Secrets through the real engine, and what adoption (`.get()`, `pulumi import`) really does."""

from __future__ import annotations

from pathlib import Path

from aep_pulumi.core.payloads import export_job_request
from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.engine import Workspace

from .conftest import deployable

PROGRAMS = Path(__file__).parent / "programs"


def test_the_client_secret_never_appears_in_clear(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    secret = sandbox.env["AEP_CLIENT_SECRET"]
    project = deployable(workspace, sandbox, "profile_export")
    config_file = (project.work_dir / "Pulumi.e2e.yaml").read_text(encoding="utf-8")
    assert "aep:clientSecret" in config_file and secret not in config_file, "stored encrypted"
    runs = [
        project.run("up"),
        project.cli("refresh", "--yes"),
        project.cli("stack", "output", "--json"),
    ]
    assert all(run.ok for run in runs), [r.stderr for r in runs]
    tokens = list(sandbox.app.store.tokens)
    haystacks = {
        "state file": "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in workspace.backend.rglob("*")
            if p.is_file()
        ),
        "stack export": str(project.state()),
        "event log and output": "\n".join(run.text() for run in runs),
        "sandbox log": str(sandbox.app.request_log),
    }
    leaks = [
        (where, "secret" if s == secret else "token")
        for where, text in haystacks.items()
        for s in (secret, *tokens)
        if s in text
    ]
    assert leaks == [], leaks
    assert "ciphertext" in haystacks["state file"], "the pickled provider is stored as a secret"
    assert project.cli("destroy", "--yes").ok


def outside_pulumi(sandbox: SandboxHandle) -> tuple[str, str]:
    """A dataset and a finished job made with the API directly, as another tool would."""
    client = sandbox.client()
    dataset = sandbox.app.store.create_dataset(
        "prod",
        {
            "name": "made elsewhere",
            "schemaRef": {"id": "https://ns.adobe.com/xdm/context/profile__union"},
        },
        "o",
        "another-tool",
    )
    job = client.create_export_job(
        export_job_request(
            {
                "dataset_id": dataset,
                "schema_name": "_xdm.context.profile",
                "fields": ["identities.id"],
            }
        )
    )
    return dataset, str(job.id)


def test_get_adopts_a_dataset_and_a_job_made_outside_pulumi(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    dataset_id, job_id = outside_pulumi(sandbox)
    project = workspace.project(PROGRAMS / "adopt").init("e2e")
    project.config("aep:clientSecret", sandbox.env["AEP_CLIENT_SECRET"], secret=True)
    project.config("datasetId", dataset_id)
    project.config("jobId", job_id)
    up = project.run("up")
    assert up.ok, up.stderr
    assert up.steps() == {"adopted-dataset": "read", "adopted-job": "read"}
    outputs = project.outputs()
    assert outputs["datasetName"] == "made elsewhere" and outputs["jobDataset"] == dataset_id
    refresh = project.cli("refresh", "--yes", "--expect-no-changes")
    assert refresh.ok, refresh.stdout + refresh.stderr
    # A read resource is not the stack's to delete: destroy leaves both in AEP.
    assert project.cli("destroy", "--yes").ok
    assert dataset_id in sandbox.state()["datasets"] and job_id in sandbox.state()["jobs"]


def test_pulumi_import_of_a_dynamic_resource_fails_in_the_dynamic_host(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """What really happens (upstream pulumi/pulumi#16175): the engine's Read carries only the id,
    and the dynamic provider host cannot find `__provider`. Nothing is added to the state.

    `pulumi import` needs the project's language host, which a Python project does not have here
    (the Go module proxy serves none; the Automation API's import does not use an inline
    program), so the import runs in an empty YAML project: the resource type and its provider
    (the dynamic provider host) are the same."""
    dataset_id, _ = outside_pulumi(sandbox)
    project = workspace.project(PROGRAMS / "empty-yaml").init("e2e")
    project.config("aep:clientSecret", sandbox.env["AEP_CLIENT_SECRET"], secret=True)
    run = project.import_resources(
        [{"type": "pulumi-python:dynamic/aep:Dataset", "name": "imported", "id": dataset_id}]
    )
    assert not run.ok
    assert "__provider" in run.stdout + run.stderr, run.stdout + run.stderr
    assert project.resources() == {}
