"""A user's second day with each native example, through the real engine: configuration
changes reach the provider on the next run (DiffConfig), a bad key fails the next preview naming
it (CheckConfig), a rotated secret is used at once, a dataset rename previews exactly what the
`up` does and exports nothing, and a sandbox change moves the objects."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from aep_pulumi.testing import TEST_CLIENT_ID, SandboxHandle
from aep_pulumi.testing.engine import Project, Run, Workspace

from .conftest import ROOT, aep_calls
from .test_native import NATIVE_EXAMPLES, native_project, with_secret

UNREACHABLE = "http://127.0.0.1:9"


def provider_inputs(project: Project) -> dict[str, object]:
    (provider,) = [
        r for r in project.state()["deployment"]["resources"] if r["type"] == "pulumi:providers:aep"
    ]
    return dict(provider["inputs"])


def exports_posted(sandbox: SandboxHandle, since: int) -> list[str]:
    return [c for c in aep_calls(sandbox, since) if c == "POST /data/core/ups/export/jobs"]


def previewed_then_done(project: Project, expected: dict[str, str]) -> Run:
    """A preview that shows ``expected`` (each resource's step), then the `up`, which must do
    exactly that; the preview's run."""
    preview = project.run("preview")
    assert preview.ok, preview.text()
    assert preview.steps() == expected, preview.steps()
    up = project.run("up")
    assert up.ok, up.text()
    assert up.steps() == expected, up.steps()
    return preview


def failed_naming(run: Run, *needles: str) -> None:
    text = run.text()
    assert not run.ok, text
    # A Python program's own frames may show (Pulumi's SDK prints a failed invoke so); the
    # plugin's never do.
    assert not re.search(r'File "[^"]*aep_pulumi/(?!testing/)', text), text
    for needle in needles:
        assert needle in text, (needle, text)


@pytest.mark.parametrize("example", NATIVE_EXAMPLES)
def test_config_changes_reach_the_provider_on_the_next_run(
    workspace: Workspace, sandbox: SandboxHandle, example: str
) -> None:
    project = with_secret(native_project(workspace, example), sandbox)
    assert project.run("up").ok
    good = sandbox.env["AEP_ENDPOINT"]

    # A key the provider refuses fails the next preview, naming it, with nothing changed.
    project.config("aep:endpoint", "http://aep.example.com")
    failed_naming(project.run("preview"), "`aep:endpoint`", "plain http:// to aep.example.com")
    project.config("aep:endpont", good)
    failed_naming(project.run("preview"), "`aep:endpont`", "did you mean `aep:endpoint`?")
    assert project.cli("config", "rm", "aep:endpont").ok

    # A reachable-looking endpoint that is wrong: the preview reads AEP (the merge policies), so
    # it fails there, naming the key and the value the provider ran with.
    project.config("aep:endpoint", UNREACHABLE)
    failed_naming(project.run("preview"), f"aep:endpoint={UNREACHABLE}")

    # Fixed: up and refresh pass at once (the up stores the fixed endpoint).
    project.config("aep:endpoint", good)
    up = project.run("up")
    assert up.ok, up.text()
    assert set(up.steps().values()) == {"same"}, up.steps()
    assert provider_inputs(project)["endpoint"] == good
    refresh = project.cli("refresh", "--yes", "--expect-no-changes")
    assert refresh.ok, refresh.stdout + refresh.stderr

    # A rotated secret is used on the next run: the old one no longer works in AEP.
    sandbox.app.config.credentials = {TEST_CLIENT_ID: "rotated-secret-value"}
    project.config("aep:clientSecret", "rotated-secret-value", secret=True)
    up = project.run("up")
    assert up.ok, up.text()
    refresh = project.cli("refresh", "--yes", "--expect-no-changes")
    assert refresh.ok, refresh.stdout + refresh.stderr
    assert "rotated-secret-value" not in project.cli("stack", "export").stdout


@pytest.mark.parametrize("example", NATIVE_EXAMPLES)
def test_a_rename_previews_what_the_up_does_and_a_sandbox_change_moves_the_objects(
    workspace: Workspace, sandbox: SandboxHandle, example: str
) -> None:
    project = with_secret(native_project(workspace, example), sandbox)
    assert project.run("up").ok
    (job_id,) = sandbox.state()["jobs"]

    # A dataset rename: an update of the dataset, the job the same, in the preview and the up.
    project.config("datasetName", "Renamed Profile Data Export")
    since = len(sandbox.app.request_log)
    previewed_then_done(project, {"target": "update", "export": "same"})
    assert exports_posted(sandbox, since) == [], "a rename exports nothing"
    (dataset,) = sandbox.state()["datasets"].values()
    assert dataset["name"] == "Renamed Profile Data Export"

    # A sandbox change moves both objects: shown as replacements, done as shown.
    project.config("aep:sandboxName", "dev")
    preview = previewed_then_done(project, {"target": "replace", "export": "replace"})
    assert "sandboxName" in preview.step_keys()["target"], preview.step_keys()
    assert sandbox.state("prod") == {"datasets": {}, "jobs": {}}
    assert len(sandbox.state("dev")["jobs"]) == 1 and job_id not in sandbox.state("dev")["jobs"]
    assert str(project.outputs()["exportJobId"]) in sandbox.state("dev")["jobs"]
    assert project.cli("destroy", "--yes").ok
    assert sandbox.state("dev") == {"datasets": {}, "jobs": {}}


# Where each example spells the job's `fields`, its misspelling, and who refuses it: YAML's
# language host (it types the program against the schema), Python's SDK (keyword arguments), Go's
# compiler, and
# for JavaScript (the TypeScript example's compiled program, as a JavaScript program or one typed
# `any` sends it) the plugin's check, which the SDK now passes unknown inputs on to.
MISSPELT = {
    "native-yaml": (
        "Pulumi.yaml",
        "\n      fields:\n",
        "\n      feilds:\n",
        "Property feilds does not exist on 'aep:index:ProfileExportJob'",
    ),
    "native-python": (
        "__main__.py",
        "\n    fields=[",
        "\n    feilds=[",
        "unexpected keyword argument 'feilds'",
    ),
    # Go's compiler refuses it when the program is built (`pulumi up` builds it first).
    "native-go": (
        "main.go",
        "\t\tFields:    pulumi.",
        "\t\tFeilds:    pulumi.",
        "unknown field Feilds in struct literal",
    ),
    "native-typescript": (
        "bin/index.js",
        "\n    fields: [",
        "\n    feilds: [",
        "property feilds value {[{identities.id} {personalEmail.address}]} has a problem: "
        "unknown property; did you mean `fields`?",
    ),
}


@pytest.mark.parametrize("example", NATIVE_EXAMPLES)
def test_a_misspelt_input_is_refused_naming_it(
    workspace: Workspace, sandbox: SandboxHandle, example: str
) -> None:
    project = with_secret(native_project(workspace, example), sandbox)
    file, right, wrong, refusal = MISSPELT[example]
    source = project.work_dir / file
    text = source.read_text(encoding="utf-8")
    assert text.count(right) == 1, (file, right)
    source.write_text(text.replace(right, wrong), encoding="utf-8")
    before = len(sandbox.app.request_log)
    if project.runtime == "go":
        # What `pulumi up` does first with a Go program: build it (here in the example's copy,
        # with the SDK it replaces by a relative path pointed at the checkout's).
        sdk = f"github.com/aep-pulumi/aep-pulumi/sdk/go={ROOT / 'sdk' / 'go'}"
        go = ["go", "mod", "edit", "-replace", sdk]
        assert subprocess.run(go, cwd=project.work_dir, check=False).returncode == 0
        built = subprocess.run(
            ["go", "build", "-o", os.devnull, "."],
            cwd=project.work_dir,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GOFLAGS": "-mod=mod"},
        )
        assert built.returncode != 0 and refusal in built.stderr, built.stderr
    else:
        failed_naming(project.run("preview"), refusal)
        failed_naming(project.run("up"), refusal)
    assert exports_posted(sandbox, before) == [], "nothing exported"


def test_a_new_organization_replaces_the_provider_and_every_object_the_old_one_deletes(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """Objects cannot move between organizations: the engine replaces the provider and, with
    it, every resource; the old objects are deleted by the old provider (the old org)."""
    project = with_secret(native_project(workspace, "native-yaml"), sandbox)
    assert project.run("up").ok
    old_org, new_org = sandbox.env["AEP_ORG_ID"], "NEWORG00000000000000000@AdobeOrg"
    project.config("aep:orgId", new_org)
    since = len(sandbox.app.request_log)
    previewed_then_done(project, {"target": "replace", "export": "replace"})
    calls = [e for e in sandbox.app.request_log[since:] if e["path"].startswith("/data/")]
    assert {e["org"] for e in calls if e["method"] == "POST"} == {new_org}
    deletes = [e for e in calls if e["method"] == "DELETE"]
    assert deletes and {e["org"] for e in deletes} == {old_org}, deletes
    assert len(sandbox.state()["datasets"]) == 1 and len(sandbox.state()["jobs"]) == 1
    assert provider_inputs(project)["orgId"] == new_org


def test_a_refresh_on_the_config_the_last_up_stored_names_it_and_a_plain_up_frees_the_stack(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """An `up` that ran with a wrong endpoint stored it (the provider's update is applied before
    the program fails); a refresh runs on it after the config is fixed, fails naming the values
    it ran with and the way out, and a plain `up` stores the fixed one."""
    project = with_secret(native_project(workspace, "native-yaml"), sandbox)
    assert project.run("up").ok
    good = sandbox.env["AEP_ENDPOINT"]
    project.config("aep:endpoint", UNREACHABLE)
    assert not project.run("up").ok
    assert provider_inputs(project)["endpoint"] == UNREACHABLE
    project.config("aep:endpoint", good)
    stale = project.cli("refresh", "--yes")
    failed_naming(
        stale,
        f"The provider ran with aep:endpoint={UNREACHABLE} (config)",
        "run `pulumi refresh --run-program` or a plain `pulumi up` first",
    )
    assert sandbox.env["AEP_CLIENT_SECRET"] not in stale.text()
    up = project.run("up")
    assert up.ok, up.text()
    assert provider_inputs(project)["endpoint"] == good
    refresh = project.cli("refresh", "--yes", "--expect-no-changes")
    assert refresh.ok, refresh.stdout + refresh.stderr
