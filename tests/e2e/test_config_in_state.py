"""What the engine keeps of the `aep:` configuration, and what a refresh runs on, through the
real CLI: the state's default-provider entry holds the last `up`'s config (the client secret as
a Pulumi secret), a refresh runs on it and says so, and the manual's way out works."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.engine import Project, Workspace

from .conftest import ROOT, deployable

UNREACHABLE = "http://127.0.0.1:9"
# The signature Pulumi gives a secret in an exported state (`pulumi stack export`).
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def default_provider(project: Project) -> dict[str, Any]:
    """The state's `pulumi:providers:pulumi-python` entry (what configures the dynamic host)."""
    resources = project.state()["deployment"]["resources"]
    (entry,) = [r for r in resources if r["type"] == "pulumi:providers:pulumi-python"]
    return dict(entry)


def configured_in_config(workspace: Workspace, sandbox: SandboxHandle) -> Project:
    """The flagship with every `aep:` setting in stack config (no `AEP_*` variable) and a
    program key of its own."""
    workspace.extra_env = {k: v for k, v in workspace.extra_env.items() if not k.startswith("AEP_")}
    project = deployable(workspace, sandbox, "profile_export")
    for key, env in [
        ("aep:endpoint", "AEP_ENDPOINT"),
        ("aep:imsEndpoint", "AEP_IMS_ENDPOINT"),
        ("aep:orgId", "AEP_ORG_ID"),
        ("aep:clientId", "AEP_CLIENT_ID"),
        ("aep:httpTimeoutSeconds", "AEP_HTTP_TIMEOUT_SECONDS"),
    ]:
        project.config(key, sandbox.env[env])
    project.config("aep:maxRetries", "0")
    project.config("datasetName", "Profile Data Export")
    return project


def test_the_state_keeps_the_stack_config_with_the_secret_encrypted(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    secret = sandbox.env["AEP_CLIENT_SECRET"]
    project = configured_in_config(workspace, sandbox)
    up = project.run("up")
    assert up.ok, up.stderr
    export = project.cli("stack", "export")
    assert export.ok, export.stderr
    entry = default_provider(project)
    inputs = entry["inputs"]
    # Every stack config key, the program's own included; no environment variable.
    assert sorted(inputs) == [
        "aep-profile-export:datasetName",
        "aep:clientId",
        "aep:clientSecret",
        "aep:endpoint",
        "aep:httpTimeoutSeconds",
        "aep:imsEndpoint",
        "aep:maxRetries",
        "aep:orgId",
    ]
    assert inputs["aep:endpoint"] == sandbox.env["AEP_ENDPOINT"], "plain values in clear"
    stored = inputs["aep:clientSecret"]
    assert set(stored) == {SECRET_SIG, "ciphertext"} and stored["ciphertext"].startswith("v1:")
    assert entry["outputs"]["aep:clientSecret"][SECRET_SIG], "the outputs hold it encrypted too"
    files = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in workspace.backend.rglob("*")
        if p.is_file()
    )
    assert secret not in export.stdout and secret not in files
    assert secret not in json.dumps(project.resources()), "nor in any resource"
    # The README says exactly this.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`pulumi:providers:pulumi-python` resource named `default`" in readme
    assert "every key of the stack's configuration" in readme


def test_a_refresh_runs_on_the_last_ups_config_says_so_and_the_manuals_way_out_works(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    project = configured_in_config(workspace, sandbox)
    assert project.run("up").ok
    good = sandbox.env["AEP_ENDPOINT"]
    project.config("aep:endpoint", UNREACHABLE)
    assert project.run("up").ok, "no change to apply: nothing called AEP, the state took it"
    assert default_provider(project)["inputs"]["aep:endpoint"] == UNREACHABLE
    project.config("aep:endpoint", good)

    for failing in (project.cli("refresh", "--yes"), project.run("up", extra=["--refresh"])):
        text = failing.text()
        assert not failing.ok
        assert "Traceback" not in text and 'File "' not in text, text
        assert f"get dataset {project.resources()['profile-export-target']['id']}: " in text
        assert f"The provider ran with aep:endpoint={UNREACHABLE} (config)" in text
        assert "aep:clientSecret set (config)" in text
        assert sandbox.env["AEP_CLIENT_SECRET"] not in text
        assert "run `pulumi refresh --run-program` or a plain `pulumi up` first" in text

    # The manual's way out, as docs/troubleshooting.md words it.
    manual = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    assert "`pulumi refresh --run-program` (or a plain `pulumi up`)" in manual
    fixed = project.run("refresh", extra=["--run-program"])
    assert fixed.ok, fixed.stderr
    assert default_provider(project)["inputs"]["aep:endpoint"] == good
    assert project.cli("refresh", "--yes").ok


def stored_with_an_unreachable_endpoint(workspace: Workspace, sandbox: SandboxHandle) -> Project:
    """A stack whose last `up` ran (and stored) an unreachable `aep:endpoint`, and whose config
    has the right one again."""
    project = configured_in_config(workspace, sandbox)
    assert project.run("up").ok
    project.config("aep:endpoint", UNREACHABLE)
    assert project.run("up").ok
    project.config("aep:endpoint", sandbox.env["AEP_ENDPOINT"])
    return project


def test_a_plain_up_also_stores_the_current_config(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    project = stored_with_an_unreachable_endpoint(workspace, sandbox)
    stale = project.cli("refresh", "--yes")
    assert not stale.ok and f"ran with aep:endpoint={UNREACHABLE} (config)" in stale.text()
    assert project.run("up").ok
    assert default_provider(project)["inputs"]["aep:endpoint"] == sandbox.env["AEP_ENDPOINT"]
    assert project.cli("refresh", "--yes").ok


def test_a_sandbox_change_previews_the_replacement_with_its_reason(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    project = deployable(workspace, sandbox, "profile_export")
    assert project.run("up").ok
    project.config("aep:sandboxName", "dev")
    preview = project.run("preview")
    assert preview.ok, preview.stderr
    assert re.search(r"profile-export-target replace \[diff: ~sandbox_name\]", preview.stdout)
    detailed = project.run("preview", extra=["--diff"])
    assert detailed.ok, detailed.stderr
    changed = [line.strip() for line in detailed.stdout.splitlines() if "sandbox_name" in line]
    assert len(changed) == 2, changed
    assert all(re.fullmatch(r'~ sandbox_name\s*: "prod" => "dev"', line) for line in changed)


def test_a_bad_config_value_is_one_clean_message_naming_the_key(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    project = deployable(workspace, sandbox, "profile_export")
    project.config("aep:endpoint", "ftp://aep.example.com")
    preview = project.run("preview")
    text = preview.text()
    assert not preview.ok
    assert "{<nil>}" not in text and "property aep:endpoint" not in text
    assert (
        "resource 'profile-export-target' has a problem: `aep:endpoint` (or env AEP_ENDPOINT) "
        "must be an http(s) URL, got 'ftp://aep.example.com'"
    ) in text


def test_many_exports_refresh_always_recovers_with_the_manuals_command(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """`examples/many_exports` refreshes before every `up` (`options: refresh: always`), so
    after a config change its `up` fails until `pulumi refresh --run-program` runs."""
    assert "refresh: always" in (ROOT / "examples/many_exports/Pulumi.yaml").read_text()
    workspace.extra_env = {
        k: v for k, v in workspace.extra_env.items() if k not in ("AEP_ENDPOINT",)
    }
    project = deployable(workspace, sandbox, "many_exports")
    project.config("segments", ["segment-01", "segment-02"])
    project.config("aep:endpoint", sandbox.env["AEP_ENDPOINT"])
    project.config("aep:maxRetries", "0")
    assert project.run("up").ok
    project.config("aep:endpoint", UNREACHABLE)
    assert project.run("up").ok
    project.config("aep:endpoint", sandbox.env["AEP_ENDPOINT"])
    stuck = project.run("up")
    assert not stuck.ok and f"aep:endpoint={UNREACHABLE} (config)" in stuck.text()
    assert project.run("refresh", extra=["--run-program"]).ok
    assert project.run("up").ok


def _bare_python(folder: Path) -> Path:
    """A folder whose python3 lacks the `pulumi` package (an isolated interpreter, no site)."""
    folder.mkdir()
    python3 = folder / "python3"
    base = getattr(sys, "_base_executable", sys.executable)
    python3.write_text(f'#!/bin/sh\nexec "{base}" -I -S "$@"\n', encoding="utf-8")
    python3.chmod(0o755)
    return folder


def test_an_inline_program_finds_its_virtualenv_when_python3_on_path_lacks_pulumi(
    workspace: Workspace, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """The engine passes an inline program's plugins no `PULUMI_RUNTIME_VIRTUALENV`: the
    launcher takes `VIRTUAL_ENV` (docs/testing.md), and without it says what to set."""
    bare = _bare_python(tmp_path / "bare-bin")
    path = os.pathsep.join([str(workspace.engine), str(bare), "/usr/bin", "/bin"])
    project = deployable(workspace, sandbox, "profile_export")
    lost = project.run("preview", env=workspace.environment(PATH=path, VIRTUAL_ENV=None))
    assert not lost.ok
    assert "found no Python with the pulumi package" in lost.text()
    assert "No module named" not in lost.text()
    found = project.run("up", env=workspace.environment(PATH=path, VIRTUAL_ENV=sys.prefix))
    assert found.ok, found.stderr
    assert project.outputs()["status"] == "SUCCEEDED"


def test_a_destroy_runs_on_the_last_ups_config_too_and_says_how_to_run_on_the_current_one(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    project = stored_with_an_unreachable_endpoint(workspace, sandbox)
    stale = project.cli("destroy", "--yes")
    text = stale.text()
    assert not stale.ok and "Traceback" not in text
    assert f"The provider ran with aep:endpoint={UNREACHABLE} (config)" in text
    assert "run a plain `pulumi up` first (or `pulumi destroy --run-program`)" in text
    assert sandbox.state()["datasets"], "nothing was deleted"
    destroyed = project.run("destroy", extra=["--run-program"])
    assert destroyed.ok, destroyed.stderr
    assert project.resources() == {} and sandbox.state()["datasets"] == {}


def test_a_secret_changed_in_config_is_not_what_a_refresh_uses(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """The issue's second case: a wrong secret goes unnoticed by `refresh` (it runs on the stored
    right one); once an `up` stored the wrong one, the right one keeps failing until a refresh
    that runs the program."""
    right = sandbox.env["AEP_CLIENT_SECRET"]
    sandbox.app.config.credentials = {sandbox.env["AEP_CLIENT_ID"]: right}
    try:
        project = configured_in_config(workspace, sandbox)
        assert project.run("up").ok
        project.config("aep:clientSecret", "a-wrong-secret", secret=True)
        assert project.cli("refresh", "--yes").ok, "unnoticed: it ran on the stored secret"
        assert project.run("up").ok, "no change to apply: the state took the wrong secret"
        project.config("aep:clientSecret", right, secret=True)
        failing = project.cli("refresh", "--yes")
        text = failing.text()
        assert not failing.ok and "HTTP 401" in text and "Traceback" not in text
        assert "aep:clientSecret set (config)" in text and "a-wrong-secret" not in text
        assert project.run("refresh", extra=["--run-program"]).ok
        assert project.cli("refresh", "--yes").ok
    finally:
        sandbox.app.config.credentials = None
