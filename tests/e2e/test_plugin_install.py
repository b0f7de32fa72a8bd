"""The release installed by the engine itself: ``pulumi plugin install`` of the archive, from the
file and from a plugin server on 127.0.0.1, into a fresh ``PULUMI_HOME``; the engine running the
installed plugin for a YAML program; and an SDK's own plugin request (its version and server)
making the engine download and install the plugin during ``pulumi up``.

This machine's CLI has no Python language host (the Go module proxy does not serve it), and the
engine hands a source plugin to one (pulumi/pulumi ``pkg/workspace/plugin.go``,
``installDependenciesForPluginSpec``; ``sdk/go/common/resource/plugin/plugin.go``, a plugin
folder with ``PulumiPlugin.yaml`` runs through ``LanguageRuntime.RunPlugin``). So the language
host here is tests/python_language_host.py: Pulumi's Python host's ``InstallDependencies`` and
``RunPlugin`` for a source plugin, reproduced from its source (cited there), as a stand-in
``pulumi-language-python`` on PATH. What the engine does (find, download, unpack, record, start
through the language host, talk to the plugin) is the engine's own.

Each install makes the plugin's venv with no index (pip from the release's wheel and a
wheelhouse: tests/release.py), about 15-20 s each.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aep_pulumi.native.schema import schema_json
from aep_pulumi.testing import SandboxHandle, native_host_for
from aep_pulumi.testing.engine import Workspace
from aep_pulumi.version import PLUGIN_SERVER

from ..python_language_host import launcher, plugin_command, plugin_environment
from ..release import Release
from .conftest import ROOT
from .test_native import native_project, with_secret

DOCS = ROOT / "docs" / "install.md"


class ReleaseServer:
    """A plugin server on 127.0.0.1 serving a release's ``dist`` folder, keeping what it was
    asked for."""

    def __init__(self, folder: Path) -> None:
        self.asked: list[str] = []
        asked = self.asked

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                asked.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=folder))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def release_server(plugin_release: Release) -> Iterator[ReleaseServer]:
    server = ReleaseServer(plugin_release.dist)
    yield server
    server.close()


@pytest.fixture(scope="module")
def host_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the stand-in ``pulumi-language-python``."""
    folder = tmp_path_factory.mktemp("language-host")
    launcher(folder)
    return folder


def plugin_user_env(
    workspace: Workspace, host_bin: Path, release: Release, **overrides: str | None
) -> dict[str, str]:
    """The workspace's environment without this checkout's ``pulumi-resource-aep`` on PATH (a
    user of the release has none), with the stand-in Python host, pip pointed at the release."""
    env = workspace.environment(**release.pip_env(), **overrides)
    ours = {str(Path(sys.executable).parent), str(workspace.engine)}
    rest = [p for p in env["PATH"].split(os.pathsep) if p and p not in ours]
    env["PATH"] = os.pathsep.join([str(host_bin), str(workspace.engine), *rest])
    return env


def installed(workspace: Workspace, env: dict[str, str]) -> list[tuple[str, str, str]]:
    run = workspace.cli(["plugin", "ls", "--json"], workspace.root, env=env)
    assert run.ok, run.stderr
    return [(p["kind"], p["name"], p["version"]) for p in json.loads(run.stdout or "[]")]


def plugin_dir(workspace: Workspace, version: str) -> Path:
    return workspace.home / "plugins" / f"resource-aep-v{version}"


def test_plugin_install_from_the_archive_file_and_the_plugin_runs_as_the_host_runs_it(
    workspace: Workspace, host_bin: Path, plugin_release: Release, sandbox: SandboxHandle
) -> None:
    env = plugin_user_env(workspace, host_bin, plugin_release)
    archive = plugin_release.archive()
    command = ["plugin", "install", "resource", "aep", plugin_release.version, "--file"]
    run = workspace.cli([*command, str(archive)], workspace.root, env=env)
    assert run.ok, run.stdout[-3000:] + run.stderr[-3000:]
    assert installed(workspace, env) == [("resource", "aep", plugin_release.version)]
    folder = plugin_dir(workspace, plugin_release.version)
    assert sorted(p.name for p in folder.iterdir()) == [
        "PulumiPlugin.yaml",
        "__main__.py",
        "requirements.txt",
        "venv",
    ]
    venv = folder / "venv"
    with native_host_for(
        {**plugin_environment(venv, env, []), **sandbox.env},
        plugin=plugin_command(folder, venv, []),
    ) as plugin:
        assert plugin.schema() == json.loads(schema_json())
        dataset = plugin.create("dataset", "target", {"name": "From the installed plugin"})
    assert list(sandbox.state()["datasets"]) == [dataset.id]


def test_plugin_install_from_a_plugin_server_then_the_engine_runs_it_for_a_yaml_program(
    workspace: Workspace,
    host_bin: Path,
    plugin_release: Release,
    release_server: ReleaseServer,
    sandbox: SandboxHandle,
) -> None:
    env = plugin_user_env(workspace, host_bin, plugin_release)
    version = plugin_release.version
    command = ["plugin", "install", "resource", "aep", version, "--server", release_server.url]
    run = workspace.cli(command, workspace.root, env=env)
    assert run.ok, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"/pulumi-resource-aep-v{version}-linux-amd64.tar.gz" in release_server.asked
    assert installed(workspace, env) == [("resource", "aep", version)]

    project = with_secret(native_project(workspace, "native-yaml"), sandbox)
    up = project.run("up", env=env)
    assert up.ok, up.text()[-4000:]
    assert "pulumi-resource-aep from $PATH" not in up.text(), "the installed plugin, not PATH's"
    assert project.outputs()["status"] == "SUCCEEDED"
    destroy = project.cli("destroy", "--yes", env=env)
    assert destroy.ok, destroy.stderr
    assert sandbox.state() == {"datasets": {}, "jobs": {}}


def _doc_commands(containing: str) -> str:
    """The fenced block of docs/install.md that holds ``containing``."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if containing in b]
    return block


def redirected(release_server: ReleaseServer) -> str:
    """The engine's own override of a plugin server (``PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES``),
    sending the release's server to the one on 127.0.0.1."""
    return f"^{re.escape(PLUGIN_SERVER)}={release_server.url}"


def test_the_yaml_route_of_docs_install_md_verbatim(
    workspace: Workspace,
    host_bin: Path,
    plugin_release: Release,
    release_server: ReleaseServer,
) -> None:
    """docs/install.md's ``pulumi plugin install ... --server <the release server>``, run as
    written; the engine's override sends that server to the loopback one."""
    block = _doc_commands("pulumi plugin install resource aep")
    env = plugin_user_env(
        workspace,
        host_bin,
        plugin_release,
        PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES=redirected(release_server),
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert installed(workspace, env) == [("resource", "aep", plugin_release.version)]


@pytest.mark.parametrize("example", ["native-typescript", "native-python"])
def test_an_sdk_asks_the_engine_for_its_plugin_version_from_its_server(
    workspace: Workspace,
    host_bin: Path,
    plugin_release: Release,
    release_server: ReleaseServer,
    sandbox: SandboxHandle,
    example: str,
) -> None:
    """No plugin anywhere: the SDK's version and server (package.json's ``pulumi`` block, the
    Python SDK's pulumi-plugin.json: respectSchemaVersion) make the engine download the release
    during ``pulumi up``, install it and run it."""
    env = plugin_user_env(
        workspace,
        host_bin,
        plugin_release,
        PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES=redirected(release_server),
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=None,
    )
    assert installed(workspace, env) == []
    asked = len(release_server.asked)
    project = with_secret(native_project(workspace, example), sandbox)
    up = project.run("up", env=env)
    assert up.ok, up.text()[-4000:]
    assert installed(workspace, env) == [("resource", "aep", plugin_release.version)]
    name = f"/pulumi-resource-aep-v{plugin_release.version}-linux-amd64.tar.gz"
    assert name in release_server.asked[asked:]
    assert project.outputs()["status"] == "SUCCEEDED"
    assert project.cli("destroy", "--yes", env=env).ok


def checkout_copy(folder: Path) -> Path:
    """The source files of this checkout (git's, not what it ignores), in ``folder`` (pip and
    the engine write into a plugin's folder and a source tree: never into the checkout)."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(source.read_bytes())
    return folder


def test_package_add_takes_the_repositorys_plugin_folder(
    workspace: Workspace, host_bin: Path, plugin_release: Release, tmp_path: Path
) -> None:
    """docs/install.md's ``pulumi package add <git url>/plugin``, from a local copy of the
    repository (GitHub is not reachable here): the engine installs ``plugin/`` (its venv from
    the copy itself, ``..``), runs it for the schema and writes the package's SDK. This CLI's
    YAML language host (pulumi-yaml 1.25) has no ``Link``, the last step of ``package add``, so
    the command ends there: that step is the language host's, not the plugin's."""
    block = _doc_commands("pulumi package add")
    assert "github.com/aep-pulumi/aep-pulumi/plugin@v" in block
    copy = checkout_copy(tmp_path / "aep-pulumi")
    user = tmp_path / "user"
    user.mkdir()
    env = plugin_user_env(workspace, host_bin, plugin_release)
    run = workspace.cli(
        ["package", "add", str(copy / "plugin"), "--language", "yaml"], user, env=env
    )
    said = run.stdout + run.stderr
    assert "Successfully generated an SDK for the aep package" in said, said[-3000:]
    assert not run.ok and "linking package: method Link not implemented" in run.stderr
    (declaration,) = (user / "sdks").rglob("aep-*.yaml")
    assert f"version: {plugin_release.version}" in declaration.read_text()
    shown = subprocess.run(
        [str(copy / "plugin" / "venv" / "bin" / "python"), "-m", "pip", "show", "aep-pulumi"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {plugin_release.version}" in shown


def test_the_path_route_of_docs_install_md(
    workspace: Workspace, plugin_release: Release, tmp_path: Path
) -> None:
    """The development route verbatim, with its placeholder paths made real (a copy of the
    checkout; ``$HOME`` a folder of the test's own) and pip pointed at the wheelhouse."""
    block = _doc_commands("command -v pulumi-resource-aep")
    copy = checkout_copy(tmp_path / "aep-pulumi")
    home = tmp_path / "home"
    home.mkdir()
    env = workspace.environment(**plugin_release.pip_env(), HOME=str(home))
    ours = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != ours)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.replace("/path/to/aep-pulumi", str(copy))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (home / ".venvs" / "aep" / "bin" / "pulumi-resource-aep").is_file()
