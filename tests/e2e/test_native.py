"""The native `aep` provider through the real engine: its schema as `pulumi package get-schema`
reads it, SDKs that match it, the YAML, Python, TypeScript and Go examples from preview to destroy,
`pulumi import` of objects made outside Pulumi, Ctrl-C and customTimeouts mid-export, a killed
`up` recovered with `pulumi refresh --import-pending-creates`, and the move from the dynamic
resources to the native ones without exporting again."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from aep_pulumi.native.schema import schema_json
from aep_pulumi.sandbox.routes_profile import MERGE_POLICIES
from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.engine import Project, Workspace
from aep_pulumi.testing.go_program import HOW_TO_GET_GO
from aep_pulumi.testing.processes import cli_pid, kill_tree

from ..conftest import aep_headers
from .conftest import ENGINE, EXAMPLES, NATIVE_EXAMPLES, ROOT, aep_calls, deployable
from .node import built_example, link_into

PROGRAMS = Path(__file__).parent / "programs"
PLUGIN = Path(sys.executable).with_name("pulumi-resource-aep")


def native_project(
    workspace: Workspace, example: str, stack: str = "e2e", *, program: Path | None = None
) -> Project:
    project = workspace.project(program or EXAMPLES / example, name=example)
    if project.runtime == "go" and shutil.which("go") is None:
        pytest.skip(f"a Go program is built with Go, and `go` is not on PATH: {HOW_TO_GET_GO}")
    if project.runtime == "nodejs":
        link_into(project.work_dir, built_example(EXAMPLES / example))
    return project.init(stack)


def with_secret(project: Project, sandbox: SandboxHandle) -> Project:
    project.config("aep:clientSecret", sandbox.env["AEP_CLIENT_SECRET"], secret=True)
    return project


def made_outside_pulumi(sandbox: SandboxHandle) -> tuple[str, int]:
    """A dataset and an export of every field into it, made with plain HTTP calls."""
    headers = aep_headers(sandbox)
    dataset = (
        requests.post(
            f"{sandbox.url}/data/foundation/catalog/dataSets",
            json={
                "name": "Made by hand",
                "schemaRef": {
                    "id": "https://ns.adobe.com/xdm/context/profile__union",
                    "contentType": "application/vnd.adobe.xed+json;version=1",
                },
            },
            headers=headers,
            timeout=5,
        )
        .json()[0]
        .rsplit("/", 1)[1]
    )
    job = requests.post(
        f"{sandbox.url}/data/core/ups/export/jobs",
        json={
            "mergePolicy": {"id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", "version": 1},
            "destination": {"datasetId": dataset, "segmentPerBatch": False},
            "schema": {"name": "_xdm.context.profile"},
        },
        headers=headers,
        timeout=5,
    ).json()
    return dataset, int(job["id"])


# ---------------------------------------------------------------- schema and SDKs


def test_get_schema_reads_and_validates_the_plugins_schema(workspace: Workspace) -> None:
    """What the engine reads from the plugin is the schema committed in sdk/schema.json (the
    one the SDKs are made from)."""
    run = workspace.cli(["package", "get-schema", str(PLUGIN)], workspace.root)
    assert run.ok, run.stderr
    assert json.loads(run.stdout) == json.loads(schema_json())
    committed = json.loads((ROOT / "sdk" / "schema.json").read_text(encoding="utf-8"))
    assert json.loads(run.stdout) == committed, "run `make sdks`: sdk/schema.json is stale"


def test_get_schema_as_docs_native_md_writes_it(workspace: Workspace) -> None:
    """The commands, verbatim: `which` finds the plugin, and `get-schema` by its path reads the
    schema from it (the bare name asks Pulumi's registry, unreachable here as offline)."""
    block = _doc_block(ROOT / "docs" / "native.md", "get-schema")
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=workspace.root,
        env=workspace.environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found, _, schema = run.stdout.partition("\n")
    assert Path(found) == PLUGIN
    assert json.loads(schema) == json.loads(schema_json())
    bare = workspace.cli(["package", "get-schema", "pulumi-resource-aep"], workspace.root)
    assert not bare.ok, "the bare name is a registry package's name, not the plugin's"


PATH_WARNING = "warning: using pulumi-resource-aep from $PATH"


def _diagnosed(run_text: str) -> int:
    """How many times a run's Diagnostics list the plugin's $PATH warning."""
    return run_text.partition("Diagnostics:")[2].count(PATH_WARNING)


def test_the_path_warning_and_how_to_be_rid_of_it_as_docs_native_md_says(
    workspace: Workspace,
) -> None:
    project = native_project(workspace, "native-yaml")
    preview = project.cli("preview")
    assert preview.ok, preview.stderr
    assert _diagnosed(preview.stdout) == 4, "four times in a YAML program's preview"
    block = _doc_block(ROOT / "docs" / "native.md", "PULUMI_IGNORE_AMBIENT_PLUGINS")
    install, _, _ = block.partition("\n")

    def preview_after(commands: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", f"{commands}\npulumi preview --non-interactive"],
            cwd=project.work_dir,
            env=workspace.environment(PULUMI_STACK=project.stack),
            capture_output=True,
            text=True,
            timeout=300,
        )

    installed_only = preview_after(install)
    assert installed_only.returncode == 0, installed_only.stderr[-3000:]
    assert _diagnosed(installed_only.stdout) == 4, "installing alone changes nothing"
    rid = preview_after(block)
    assert rid.returncode == 0, rid.stderr[-3000:]
    assert PATH_WARNING not in rid.stdout + rid.stderr
    assert "aep:index:ProfileExportJob" in rid.stdout, "the plugin ran (the installed one)"


# What installing or building the SDKs leaves beside them (`make install` runs `pip install -e
# sdk/python`), which is no part of what is committed.
BUILT = {"__pycache__", "node_modules", "bin", "build", "dist"}


def _sdk_files(committed: Path) -> set[Path]:
    """The SDK's files as committed: git's list in a checkout, else the folder without what an
    install or a build adds."""
    listed = subprocess.run(
        ["git", "-C", str(committed), "ls-files", "-z", "."], capture_output=True, timeout=60
    )
    if listed.returncode == 0 and listed.stdout:
        return {Path(name) for name in listed.stdout.decode().split("\0") if name}
    return {
        p.relative_to(committed)
        for p in committed.rglob("*")
        if p.is_file() and not any(part in BUILT or part.endswith(".egg-info") for part in p.parts)
    }


def test_the_committed_sdks_are_what_the_schema_generates(tmp_path: Path) -> None:
    assert ENGINE is not None
    (tmp_path / "schema.json").write_text(schema_json(), encoding="utf-8")
    made = subprocess.run(
        [str(ENGINE / "aep-sdkgen"), str(tmp_path / "schema.json"), str(tmp_path / "sdk")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    committed = ROOT / "sdk"
    # go.mod and go.sum come from `go mod tidy` in `make sdks`, not from the generator, and
    # schema.json is the generator's input (tests/unit/test_release.py checks it).
    generated = {
        p.relative_to(tmp_path / "sdk"): p.read_bytes()
        for p in (tmp_path / "sdk").rglob("*")
        if p.is_file()
    }
    assert generated, "the generator wrote nothing"
    stale = [str(rel) for rel, data in generated.items() if (committed / rel).read_bytes() != data]
    assert stale == [], f"run `make sdks`: these differ from the schema's SDK: {stale}"
    inputs = {Path("schema.json"), Path("go/go.mod"), Path("go/go.sum")}
    kept = {rel for rel in _sdk_files(committed) if rel not in inputs}
    assert kept <= set(generated), f"files no longer generated: {kept - set(generated)}"


def _doc_block(page: Path, containing: str) -> str:
    """The fenced block of ``page`` that holds ``containing`` (a command the page documents)."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if containing in b]
    return block


def test_the_typescript_sdk_installs_and_loads_as_docs_native_md_says(tmp_path: Path) -> None:
    """docs/native.md's commands, run verbatim (its placeholder paths made real): the SDK
    compiled and packed in a copy of sdk/nodejs, the tarball installed into a fresh project,
    where `require('@aep-pulumi/aep')` gives the resources and the package reads its version."""
    block = _doc_block(ROOT / "docs" / "native.md", "npm pack")
    checkout, project = tmp_path / "aep-pulumi", tmp_path / "your-project"
    shutil.copytree(
        ROOT / "sdk" / "nodejs",
        checkout / "sdk" / "nodejs",
        ignore=shutil.ignore_patterns("node_modules", "bin", "*.tgz"),
    )
    project.mkdir()
    (project / "package.json").write_text('{"name": "your-project", "private": true}\n')
    script = block.replace("/path/to/aep-pulumi", str(checkout)).replace(
        "/path/to/your-project", str(project)
    )
    quiet = {
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={**os.environ, **quiet},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    version = json.loads(schema_json())["version"]
    dependency = json.loads((project / "package.json").read_text())["dependencies"][
        "@aep-pulumi/aep"
    ]
    assert dependency.startswith("file:") and dependency.endswith(f"aep-pulumi-aep-{version}.tgz")
    installed = project / "node_modules" / "@aep-pulumi" / "aep"
    assert not installed.is_symlink(), "a copy of the package, not a link to the SDK's folder"
    check = (
        "const aep = require('@aep-pulumi/aep');\n"
        "for (const name of ['Dataset', 'ProfileExportJob', 'ProfileExportWait', 'Provider',\n"
        "                    'getMergePolicies', 'getDataset']) {\n"
        "  if (typeof aep[name] !== 'function') throw new Error(name + ' is ' + typeof aep[name]);\n"
        "}\n"
        "console.log(require('@aep-pulumi/aep/bin/utilities').getVersion());\n"
    )
    loaded = subprocess.run(
        ["node", "-e", check], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.strip() == version
    assert not list(installed.glob("*.ts")), "compiled: no TypeScript source in the package"
    types = json.loads((installed / "package.json").read_text())["types"]
    assert (installed / types).is_file(), "its type declarations are in the package"


GO_HOST = "pulumi-language-go"


def test_the_go_example_runs_as_docs_native_md_says(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """docs/native.md's commands for a Go user, verbatim, in a copy of the example and the SDK
    (its placeholder path made real): `go mod download` needs nothing the committed go.mod and
    go.sum lack, and `pulumi up` runs the program with Pulumi's Go language host. The Go module
    proxy serves no such host: without one, `pulumi up` must stop exactly there, having asked
    AEP nothing (test_native_example_preview_up_refresh_destroy[native-go] runs the same program
    through the Go Automation API)."""
    if shutil.which("go") is None:
        pytest.skip(f"the commands run Go, and `go` is not on PATH: {HOW_TO_GET_GO}")
    block = _doc_block(ROOT / "docs" / "native.md", "go mod download")
    checkout = workspace.root / "aep-pulumi"
    for folder in ("examples/native-go", "sdk/go"):
        shutil.copytree(ROOT / folder, checkout / folder)
    env = workspace.environment(AEP_CLIENT_SECRET=sandbox.env["AEP_CLIENT_SECRET"])
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.replace("/path/to/aep-pulumi", str(checkout))],
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    said = done.stdout + done.stderr
    for name in ("go.mod", "go.sum"):
        copied = checkout / "examples" / "native-go" / name
        assert copied.read_bytes() == (ROOT / "examples" / "native-go" / name).read_bytes(), name
    if shutil.which(GO_HOST, path=env["PATH"]) is None:
        assert done.returncode != 0, said
        assert "Created stack 'dev'" in said
        assert f"no language plugin '{GO_HOST}' found" in done.stderr, said[-3000:]
        assert sandbox.state() == {"datasets": {}, "jobs": {}}
        return
    assert done.returncode == 0, said[-3000:]
    (job,) = sandbox.state()["jobs"].values()
    assert job["status"] == "SUCCEEDED", job


# ---------------------------------------------------------------- the examples


@pytest.mark.parametrize("example", NATIVE_EXAMPLES)
def test_native_example_preview_up_refresh_destroy(
    workspace: Workspace, sandbox: SandboxHandle, example: str
) -> None:
    project = native_project(workspace, example)
    before = len(sandbox.app.request_log)
    no_credentials = workspace.environment(
        AEP_ORG_ID=None, AEP_CLIENT_ID=None, AEP_CLIENT_SECRET=None
    )
    preview = project.run("preview", env=no_credentials)
    assert preview.ok, preview.text()
    assert set(preview.steps().values()) == {"create"}, preview.steps()
    assert len(sandbox.app.request_log) == before, "a first preview asks AEP nothing"

    with_secret(project, sandbox)
    up = project.run("up")
    assert up.ok, up.text()
    outputs = project.outputs()
    (job_id,) = sandbox.state()["jobs"]
    job = sandbox.app.store.job_view("prod", int(job_id))
    assert outputs["batchId"] == job["destination"]["batchId"] and outputs["status"] == "SUCCEEDED"
    assert str(outputs["exportJobId"]) == job_id
    default = next(p for p in MERGE_POLICIES if p["default"])
    assert job["mergePolicy"]["id"] == default["id"], "the looked-up default merge policy"

    since = len(sandbox.app.request_log)
    refresh = project.cli("refresh", "--yes", "--expect-no-changes")
    assert refresh.ok, refresh.stdout + refresh.stderr
    assert all(c.startswith("GET ") for c in aep_calls(sandbox, since)), "refresh only reads"

    again = project.run("up")
    assert again.ok and set(again.steps().values()) == {"same"}, again.steps()
    destroy = project.cli("destroy", "--yes")
    assert destroy.ok, destroy.stderr
    assert sandbox.state() == {"datasets": {}, "jobs": {}}


# ---------------------------------------------------------------- import


def test_pulumi_import_of_objects_made_outside_pulumi_gives_no_diff(
    workspace: Workspace, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    dataset_id, job_id = made_outside_pulumi(sandbox)
    project = with_secret(
        native_project(workspace, "imported", program=PROGRAMS / "empty-yaml"), sandbox
    )
    listing = tmp_path / "import.json"
    listing.write_text(
        json.dumps(
            {
                "resources": [
                    {"type": "aep:index:Dataset", "name": "target", "id": dataset_id},
                    {"type": "aep:index:ProfileExportJob", "name": "export", "id": str(job_id)},
                ]
            }
        ),
        encoding="utf-8",
    )
    code = tmp_path / "imported.yaml"
    run = project.cli("import", "--file", str(listing), "--yes", "--out", str(code))
    assert run.ok, run.stdout + run.stderr
    resources = project.resources()
    assert resources["target"]["id"] == dataset_id and resources["export"]["id"] == str(job_id)

    # The program the import wrote, made the project's own: nothing to change.
    settings = yaml.safe_load((project.work_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    settings["resources"] = yaml.safe_load(code.read_text(encoding="utf-8"))["resources"]
    (project.work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    preview = project.cli("preview", "--expect-no-changes")
    assert preview.ok, preview.stdout + preview.stderr
    assert list(sandbox.state()["jobs"]) == [str(job_id)]


# ---------------------------------------------------------------- interruptions


def wait_for_the_job(process: subprocess.Popen[str], sandbox: SandboxHandle) -> str:
    deadline = time.monotonic() + 120
    while not sandbox.state()["jobs"]:
        assert time.monotonic() < deadline and process.poll() is None, "no job was submitted"
        time.sleep(0.1)
    time.sleep(1.0)  # the create is now waiting for the job
    (job_id,) = sandbox.state()["jobs"]
    return str(job_id)


def test_sigint_ends_within_5s_keeps_the_job_and_the_next_up_finishes_it(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    sandbox.app.config.job_duration = 12.0
    project = with_secret(native_project(workspace, "native-yaml"), sandbox)
    process = project.start("up")
    job_id = wait_for_the_job(process, sandbox)
    pid = cli_pid(process)
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    interrupted_at = time.monotonic()
    interrupted = project.finish(process)
    took = time.monotonic() - interrupted_at
    assert not interrupted.ok and took <= 5, (took, interrupted.text())
    deployment = project.state()["deployment"]
    assert not deployment.get("pending_operations")
    held = project.resources()["export"]
    assert held["id"] == job_id and held["outputs"]["status"] in ("NEW", "PROCESSING")
    assert held.get("initErrors"), "kept as half-made: the next up finishes it"
    assert sandbox.app.store.cancelled_running == []

    again = project.run("up")
    assert again.ok, again.text()
    assert again.steps()["export"] == "update"
    assert project.outputs()["status"] == "SUCCEEDED"
    assert list(sandbox.state()["jobs"]) == [job_id], "neither lost nor repeated"


def with_custom_timeout(workspace: Workspace, seconds: int) -> Path:
    """The YAML example with ``customTimeouts`` on the export's create and update."""
    program = workspace.root / "programs" / "timeouts"
    if not program.exists():
        program.parent.mkdir(parents=True, exist_ok=True)
        settings = yaml.safe_load((EXAMPLES / "native-yaml" / "Pulumi.yaml").read_text())
        timeouts = {"create": f"{seconds}s", "update": f"{seconds}s"}
        settings["resources"]["export"]["options"] = {"customTimeouts": timeouts}
        program.mkdir()
        (program / "Pulumi.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return program


def test_custom_timeouts_end_the_wait_and_keep_the_job(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    sandbox.app.config.job_duration = 14.0
    program = with_custom_timeout(workspace, 3)
    project = with_secret(native_project(workspace, "timeouts", program=program), sandbox)
    started = time.monotonic()
    up = project.run("up")
    assert not up.ok and "customTimeouts" in up.text()
    assert time.monotonic() - started < 60
    (job_id,) = sandbox.state()["jobs"]
    assert project.resources()["export"]["id"] == job_id
    # The next `up` waits for that job again, as long as the update's timeout allows.
    while sandbox.app.store.job_view("prod", int(job_id))["status"] != "SUCCEEDED":
        time.sleep(0.5)
    again = project.run("up")
    assert again.ok, again.text()
    assert list(sandbox.state()["jobs"]) == [job_id]


def test_a_killed_up_leaves_a_pending_create_and_the_job_is_kept_once(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """SIGKILL (no Cancel, no partial state): the state has a pending create. `pulumi refresh
    --import-pending-creates URN ID` is what Pulumi offers; this engine (3.274) clears the
    pending create without importing it, so the next `up` creates the resource again, and the
    job's claim on the dataset makes that create adopt the same job: one export."""
    sandbox.app.config.job_duration = 30.0
    project = with_secret(native_project(workspace, "native-yaml"), sandbox)
    process = project.start("up")
    job_id = wait_for_the_job(process, sandbox)
    kill_tree(process)
    process.wait()
    pending = project.state()["deployment"].get("pending_operations") or []
    (operation,) = pending
    assert operation["type"] == "creating"
    urn = operation["resource"]["urn"]
    assert project.cli("cancel", "--yes").ok
    refresh = project.cli(
        "refresh", "--yes", "--import-pending-creates", urn, "--import-pending-creates", job_id
    )
    assert refresh.ok, refresh.stdout + refresh.stderr
    assert not project.state()["deployment"].get("pending_operations")
    sandbox.app.config.job_duration = 1.0
    again = project.run("up")
    assert again.ok, again.text()
    assert project.resources()["export"]["id"] == job_id
    assert f"export job {job_id} (" in again.text(), "the adoption is said"
    assert list(sandbox.state()["jobs"]) == [job_id], "exported once"


# ---------------------------------------------------------------- migration


def test_a_dynamic_stack_moves_to_the_native_provider_without_exporting_again(
    workspace: Workspace, sandbox: SandboxHandle
) -> None:
    """The documented move (docs/native.md): drop the dynamic resources from the state (not
    from AEP), then import them by id into the native program of the same stack."""
    dynamic = deployable(workspace, sandbox, "profile_export", stack="prod")
    up = dynamic.run("up")
    assert up.ok, up.text()
    resources = dynamic.resources()
    dataset_id = resources["profile-export-target"]["id"]
    job_id = resources["profile-export"]["id"]
    for name in ("profile-export", "profile-export-target"):
        urn = resources[name]["urn"]
        assert dynamic.cli("state", "delete", urn, "--yes", "--force").ok

    # The same project and stack (its config and secrets stay): the program is now YAML.
    migrate_in_place(dynamic.work_dir, dataset_id, job_id)
    native = Project(workspace, dynamic.work_dir, "yaml")
    native.stack = "prod"
    moved = native.run("up")
    assert moved.ok, moved.text()
    imported = {
        (e.get("resource_pre_event") or {}).get("metadata", {}).get("urn", "").rsplit("::", 1)[-1]
        for e in moved.events
        if (e.get("resource_pre_event") or {}).get("metadata", {}).get("op") == "import"
    }
    assert imported == {"target", "export"}, moved.steps()
    assert list(sandbox.state()["jobs"]) == [job_id], "one export, not two"
    assert native.cli("preview", "--expect-no-changes").ok
    assert native.outputs()["batchId"] == resources["profile-export"]["outputs"]["batch_id"]


def migrate_in_place(work_dir: Path, dataset_id: str, job_id: str) -> None:
    """The flagship export rewritten as the native YAML program, importing what exists."""
    settings: dict[str, Any] = yaml.safe_load(
        (EXAMPLES / "native-yaml" / "Pulumi.yaml").read_text(encoding="utf-8")
    )
    settings["name"] = yaml.safe_load((work_dir / "Pulumi.yaml").read_text())["name"]
    settings["resources"]["target"]["options"] = {"import": dataset_id}
    settings["resources"]["export"]["options"] = {"import": job_id}
    for leftover in ("__main__.py", "requirements.txt"):
        (work_dir / leftover).unlink(missing_ok=True)
    (work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
