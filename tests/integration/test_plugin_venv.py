"""The plugin as Pulumi's Python language host installs and runs it, without the engine (this
machine's CLI has no Python language host; tests/e2e/test_plugin_install.py has the engine's own
part): a fresh venv from the release archive's ``requirements.txt`` (pip from the wheel of the
release, no index), the plugin started as the host starts it, then the project's ``NativeHost``
gets its schema, configures it and creates against the sandbox. The same venv has the package's
runtime dependencies only: the plugin and the dynamic door run without the extras, and each tool
that needs one says which. Last, docs/install.md's Python SDK command, in the same venv.

The host's steps are reproduced from Pulumi's source in tests/python_language_host.py (files
and functions cited there). Cost: the venv, about 20 s once per module (the wheelhouse, once per
set of requirements: tests/release.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from aep_pulumi.native.schema import schema_json
from aep_pulumi.testing import SandboxHandle, native_host_for, provider_host_for
from aep_pulumi.version import PLUGIN_SERVER, __version__

from ..python_language_host import (
    install_dependencies,
    plugin_command,
    plugin_environment,
    virtualenv_of,
)
from ..release import Release

ROOT = Path(__file__).resolve().parents[2]
# The extras' distributions: none of them is the plugin's.
EXTRAS = {"werkzeug", "openapi-core", "jsonpatch", "pyarrow", "tqdm", "responses", "pytest"}

pytestmark = pytest.mark.integration


@dataclass
class PluginVenv:
    folder: Path  # the unpacked archive, as the engine unpacks it into its plugins
    venv: Path
    env: dict[str, str]  # the environment the host runs the plugin in
    installed: dict[str, str]  # distribution -> version, as the install left them

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=cwd, env=self.env, capture_output=True, text=True, timeout=300
        )


def _clean_environ() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AEP_", "PULUMI_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }


@pytest.fixture(scope="module")
def plugin_venv(plugin_release: Release, tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    folder = tmp_path_factory.mktemp("resource-aep-v" + plugin_release.version)
    with tarfile.open(plugin_release.archive()) as archive:
        archive.extractall(folder, filter="data")
    options = yaml.safe_load((folder / "PulumiPlugin.yaml").read_text())["runtime"]["options"]
    venv = virtualenv_of(folder, options)
    install_dependencies(folder, venv, {**_clean_environ(), **plugin_release.pip_env()})
    env = plugin_environment(venv, {**_clean_environ(), **plugin_release.pip_env()}, [])
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {d["name"].lower(): d["version"] for d in json.loads(listed)}
    return PluginVenv(folder, venv, env, installed)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    from aep_pulumi.testing import served_sandbox

    with served_sandbox(job_duration=0.3) as handle:
        yield handle


def test_the_archives_requirements_install_this_release_and_none_of_the_extras(
    plugin_venv: PluginVenv, plugin_release: Release
) -> None:
    assert plugin_venv.venv == plugin_venv.folder / "venv", "PulumiPlugin.yaml's virtualenv"
    assert plugin_venv.installed["aep-pulumi"] == plugin_release.version
    assert not EXTRAS & set(plugin_venv.installed), EXTRAS & set(plugin_venv.installed)


def test_the_plugin_started_as_the_host_starts_it_serves_the_schema_and_creates(
    plugin_venv: PluginVenv, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    command = plugin_command(plugin_venv.folder, plugin_venv.venv, [])
    assert command == [plugin_venv.python, str(plugin_venv.folder)]
    env = {**plugin_venv.env, **sandbox.env}
    with native_host_for(env, plugin=command) as plugin:
        assert plugin.schema() == json.loads(schema_json())
        dataset = plugin.create("dataset", "target", {"name": "From the released plugin"})
        job = plugin.create(
            "job", "export", {"dataset_id": dataset.id, "fields": ["identities.id"]}
        )
    assert job.outs["status"] == "SUCCEEDED" and job.outs["batch_id"]
    assert list(sandbox.state()["datasets"]) == [dataset.id]
    assert list(sandbox.state()["jobs"]) == [job.id]


def test_the_dynamic_door_runs_in_the_plugins_venv(
    plugin_venv: PluginVenv, sandbox: SandboxHandle
) -> None:
    """Pulumi's dynamic provider host, run by the venv's Python, unpickles this package's
    providers and creates with them."""
    sandbox.app.store.clear_spaces()
    with provider_host_for({**plugin_venv.env, **sandbox.env}, python=plugin_venv.python) as host:
        inputs, failures = host.check("dataset", "target", {"name": "Through the dynamic door"})
        assert failures == []
        dataset = host.create("dataset", "target", inputs)
    assert list(sandbox.state()["datasets"]) == [dataset.id]


IMPORTS = """
import sys
import aep_pulumi, aep_pulumi.native.server, aep_pulumi.providers, aep_pulumi.resources
import aep_pulumi.testing
from aep_pulumi import Dataset, ProfileExportJob
from aep_pulumi.native.schema import schema_json
schema_json()
heavy = {"werkzeug", "openapi_core", "pyarrow", "tqdm", "jsonpatch", "responses", "pytest"}
print(sorted(heavy & {name.split(".")[0] for name in sys.modules}))
"""


def test_the_plugin_the_dynamic_door_and_the_kit_import_none_of_the_extras(
    plugin_venv: PluginVenv,
) -> None:
    done = plugin_venv.run(plugin_venv.python, "-c", IMPORTS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (["aep-sandbox"], "sandbox"),
        (["aep-export", "download", "batch1"], "data"),
        (["aep-export", "head", "batch1"], "data"),
        (["python", "scripts/demo.py"], "sandbox,data"),
        (["python", "-c", "from aep_pulumi.sandbox import SandboxApp"], "sandbox"),
        (["python", "-c", "from aep_pulumi.testing import make_app; make_app()"], "sandbox"),
    ],
    ids=["aep-sandbox", "aep-export download", "aep-export head", "demo", "sandbox", "make_app"],
)
def test_what_needs_an_extra_says_which(
    plugin_venv: PluginVenv, command: list[str], extra: str
) -> None:
    program = str(plugin_venv.venv / "bin" / command[0])
    done = plugin_venv.run(program, *command[1:], cwd=ROOT)
    assert done.returncode != 0
    assert f'pip install "aep-pulumi[{extra}]"' in done.stderr, done.stderr
    if command[0] != "python":
        assert "Traceback" not in done.stderr, "one line, not a traceback"


USER_TESTS = """
def test_unrelated():
    assert True


def test_with_the_fixture(aep_sandbox):
    pass
"""


def test_the_kits_fixtures_name_the_testing_extra_and_leave_other_tests_alone(
    plugin_venv: PluginVenv, plugin_release: Release, tmp_path: Path
) -> None:
    """With pytest but without the testing extra, the kit's pytest plugin loads (an unrelated
    test passes) and its fixture fails saying what to install."""
    pytest_installed = plugin_venv.run(plugin_venv.python, "-m", "pip", "install", "-q", "pytest")
    assert pytest_installed.returncode == 0, pytest_installed.stderr
    (tmp_path / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    done = plugin_venv.run(
        plugin_venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", cwd=tmp_path
    )
    assert "1 passed, 1 error" in done.stdout, done.stdout + done.stderr
    assert (
        "the aep_sandbox fixture needs the testing extra (werkzeug, openapi-core, jsonpatch, "
        'pyarrow not installed): pip install "aep-pulumi[testing]"'
    ) in done.stdout


# ---------------------------------------------------------------- the Python SDK

GITHUB = "https://github.com/aep-pulumi/aep-pulumi.git"


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=120)


def test_the_python_sdk_from_the_tag_names_its_plugin_version_and_server(
    plugin_venv: PluginVenv, tmp_path: Path
) -> None:
    """docs/install.md's Python SDK command, as written with its GitHub URL made a local clone
    of this repository tagged ``v<version>`` (GitHub is not reachable here), run in this venv
    (it has the SDK's dependencies already: only the SDK is built, from git): the installed SDK
    names this version of the plugin and its server, which it hands the engine with every
    resource (its ``pulumi up``: tests/e2e/test_plugin_install.py)."""
    probe = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("not a git checkout (clone the repository)")
    text = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```\n(.*?)```", text, re.S) if "pulumi_aep @ git+" in b]
    command = block.splitlines()[0]
    assert f"{GITHUB}@v{__version__}#subdirectory=sdk/python" in command
    clone = tmp_path / "aep-pulumi"
    _git("clone", "--quiet", str(ROOT), str(clone), cwd=tmp_path)
    _git("tag", f"v{__version__}", cwd=clone)
    local = command.replace(GITHUB, f"file://localhost{clone}")
    done = plugin_venv.run("bash", "-euo", "pipefail", "-c", local, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    asked = plugin_venv.run(
        plugin_venv.python,
        "-c",
        "from pulumi_aep import _utilities as u; print(u.get_version(), u.get_plugin_download_url())",
    )
    assert asked.stdout.split() == [__version__, PLUGIN_SERVER], asked.stderr
