"""One version and one download server, from aep_pulumi/version.py to the package, the plugin's
release archives, the schema (committed as sdk/schema.json) and every SDK; the repository's
plugin folder; the extras the package declares and the ones its tools name."""

from __future__ import annotations

import io
import json
import re
import tarfile
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import pytest
import yaml

from aep_pulumi import extras
from aep_pulumi.native.schema import package_schema, plugin_server, schema_json
from aep_pulumi.sandbox import needs
from aep_pulumi.version import PLUGIN_SERVER, PLUGIN_SERVER_VARIABLE, REPOSITORY, __version__

from ..release import plugin_script

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
PLUGIN_JSON = {"resource": True, "name": "aep", "version": __version__, "server": PLUGIN_SERVER}
tomllib = pytest.importorskip("tomllib")
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- one version


def test_the_package_takes_its_version_from_version_py() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "aep_pulumi.version.__version__"
    assert installed_version("aep-pulumi") == __version__


def test_the_changelog_starts_at_0_1_0_and_has_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[?(\d+\.\d+\.\d+)\]?", text, re.M)
    assert versions[-1] == "0.1.0" and __version__ in versions


def test_the_schema_names_the_version_the_server_and_the_repository() -> None:
    schema = package_schema()
    assert schema["version"] == __version__
    assert schema["pluginDownloadURL"] == PLUGIN_SERVER
    assert schema["repository"] == schema["homepage"] == REPOSITORY
    assert schema["namespace"] and schema["publisher"]
    for language in ("python", "nodejs", "go"):
        assert schema["language"][language]["respectSchemaVersion"] is True, language
    module = schema["language"]["go"]["importBasePath"]
    assert module == REPOSITORY.removeprefix("https://") + "/sdk/go/aep"


def test_a_build_variable_overrides_the_server_and_only_it_does() -> None:
    assert plugin_server({}) == PLUGIN_SERVER
    assert plugin_server({PLUGIN_SERVER_VARIABLE: " "}) == PLUGIN_SERVER
    assert plugin_server({PLUGIN_SERVER_VARIABLE: "https://x.test/aep"}) == "https://x.test/aep"


def test_the_committed_schema_is_what_the_plugin_serves() -> None:
    committed = (SDK / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_json() + "\n", "run `make sdks`: sdk/schema.json is stale"


# ---------------------------------------------------------------- the SDKs


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_typescript_sdk_asks_for_this_plugin_version_from_this_server() -> None:
    package = _json(SDK / "nodejs" / "package.json")
    assert package["version"] == __version__
    assert package["pulumi"] == PLUGIN_JSON
    assert package["repository"] == REPOSITORY
    utilities = (SDK / "nodejs" / "utilities.ts").read_text(encoding="utf-8")
    assert f'pluginDownloadURL: "{PLUGIN_SERVER}"' in utilities


def test_the_python_sdk_asks_for_this_plugin_version_from_this_server() -> None:
    assert _json(SDK / "python" / "pulumi_aep" / "pulumi-plugin.json") == PLUGIN_JSON
    setup = (SDK / "python" / "setup.py").read_text(encoding="utf-8")
    assert f'VERSION = "{__version__}"' in setup
    utilities = (SDK / "python" / "pulumi_aep" / "_utilities.py").read_text(encoding="utf-8")
    assert f'return "{PLUGIN_SERVER}"' in utilities


def test_the_go_sdk_carries_its_version_and_server() -> None:
    go = SDK / "go" / "aep"
    assert _json(go / "pulumi-plugin.json") == PLUGIN_JSON
    pinned = (go / "internal" / "pulumiVersion.go").read_text(encoding="utf-8")
    assert f'var SdkVersion semver.Version = semver.MustParse("{__version__}")' in pinned
    assert f'var pluginDownloadURL string = "{PLUGIN_SERVER}"' in pinned
    defaults = (go / "internal" / "pulumiUtilities.go").read_text(encoding="utf-8")
    assert defaults.count(f'pulumi.PluginDownloadURL("{PLUGIN_SERVER}")') == 2
    assert defaults.count(f'semver.MustParse("{__version__}")') == 2
    module = (SDK / "go" / "go.mod").read_text(encoding="utf-8").splitlines()[0]
    assert module == "module " + REPOSITORY.removeprefix("https://") + "/sdk/go"


# ---------------------------------------------------------------- the plugin's release


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        found = {}
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            assert member.isfile() and extracted is not None, member.name
            found[member.name] = extracted.read()
        return found


def test_make_plugin_writes_one_archive_per_platform_with_the_same_three_files(
    tmp_path: Path,
) -> None:
    script = plugin_script()
    written = script.write_archives(tmp_path)
    names = sorted(path.name for path in written)
    assert names == sorted(
        f"pulumi-resource-aep-v{__version__}-{os_}-{arch}.tar.gz"
        for os_ in ("linux", "darwin", "windows")
        for arch in ("amd64", "arm64")
    )
    contents = {path.read_bytes() for path in written}
    assert len(contents) == 1, "the same archive for every platform"
    (data,) = contents
    assert script.write_archives(tmp_path / "again")[0].read_bytes() == data, "reproducible"
    files = _members(data)
    assert sorted(files) == ["PulumiPlugin.yaml", "__main__.py", "requirements.txt"]
    assert files["requirements.txt"] == f"aep-pulumi=={__version__}\n".encode()
    for name in ("PulumiPlugin.yaml", "__main__.py"):
        assert files[name] == (ROOT / "plugin" / name).read_bytes(), f"plugin/{name}"


def test_the_plugin_folder_is_a_python_source_plugin_of_the_checkout_it_sits_in() -> None:
    manifest = yaml.safe_load((ROOT / "plugin" / "PulumiPlugin.yaml").read_text())
    assert manifest == {
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    }
    lines = (ROOT / "plugin" / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if line and not line.startswith("#")] == [".."]
    assert "plugin/venv/" in (ROOT / ".gitignore").read_text().splitlines()


def test_a_build_server_is_written_into_the_archives_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = _members(
        plugin_script().write_archives(tmp_path, "https://artifacts.test/aep")[0].read_bytes()
    )["__main__.py"].decode()
    assert "PLUGIN_SERVER = 'https://artifacts.test/aep'\n" in main
    # What that line does before the plugin starts: its schema names the build's server.
    monkeypatch.delenv(PLUGIN_SERVER_VARIABLE, raising=False)
    setup = main.split("from aep_pulumi.native.server import main")[0]
    exec(compile(setup, "__main__.py", "exec"), {})
    assert package_schema()["pluginDownloadURL"] == "https://artifacts.test/aep"


# ---------------------------------------------------------------- the extras


def _distributions(requirements: list[str]) -> set[str]:
    """Distribution names of ``requirements``, this package's own extras expanded."""
    found: set[str] = set()
    for requirement in requirements:
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()
        if name == "aep-pulumi":
            named = requirement.split("[", 1)[1].split("]", 1)[0]
            for extra in named.split(","):
                found |= _distributions(PYPROJECT["project"]["optional-dependencies"][extra])
        else:
            found.add(name)
    return found


def test_the_runtime_is_what_the_plugin_and_the_dynamic_door_need() -> None:
    runtime = _distributions(PYPROJECT["project"]["dependencies"])
    assert runtime == {"pulumi", "requests", "pydantic", "rfc3339-validator"}


@pytest.mark.parametrize("extra", ["sandbox", "data", "testing"])
def test_what_the_tools_check_is_what_each_extra_installs(extra: str) -> None:
    declared = _distributions(PYPROJECT["project"]["optional-dependencies"][extra])
    checked = set(needs.MODULES.values() if extra == "sandbox" else extras.MODULES[extra].values())
    assert checked == declared


def test_dev_holds_every_extra() -> None:
    optional = PYPROJECT["project"]["optional-dependencies"]
    dev = _distributions(optional["dev"])
    for extra in ("sandbox", "data", "testing"):
        assert _distributions(optional[extra]) <= dev, extra


def test_aep_export_names_the_data_extra_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aep_pulumi.cli import export as export_cli

    monkeypatch.setattr(extras, "missing", lambda extra: ["pyarrow"] if extra == "data" else [])
    assert export_cli.run(["head", "batch1"]) == 2
    assert capsys.readouterr().err == (
        "aep-export: aep-export head needs the data extra (pyarrow not installed): "
        'pip install "aep-pulumi[data]"\n'
    )


def test_aep_sandbox_names_the_sandbox_extra_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aep_pulumi.sandbox import __main__ as sandbox_cli

    monkeypatch.setattr(needs, "missing", lambda: ["werkzeug"])
    assert sandbox_cli.main(["--port", "0"]) == 2
    assert capsys.readouterr().err == (
        'aep-sandbox needs the sandbox extra (werkzeug not installed): pip install "aep-pulumi[sandbox]"\n'
    )


def test_what_names_a_version_outside_version_py_names_this_one() -> None:
    """The few places a version must be written out (a tarball's name, the commands users type)
    follow version.py: a new version fails here until they say it too."""
    found = []
    for path in ["docs/install.md", "docs/native.md", "examples/native-typescript/package.json"]:
        text = (ROOT / path).read_text(encoding="utf-8")
        patterns = (
            r"aep-pulumi-aep-(\d+\.\d+\.\d+)\.tgz",
            r"resource aep (\d+\.\d+\.\d+)",
            r"@v(\d+\.\d+\.\d+)",
        )
        found += [(path, v) for pattern in patterns for v in re.findall(pattern, text)]
    assert found and {v for _, v in found} == {__version__}, found


def _blocks(page: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), re.S)


def test_docs_install_md_gives_the_typescript_commands_docs_native_md_runs() -> None:
    """The e2e tier runs docs/native.md's npm block verbatim; docs/install.md's TypeScript block
    is that block and `pulumi up`."""
    (native,) = [b for b in _blocks("docs/native.md") if "npm pack" in b]
    (install,) = [b for b in _blocks("docs/install.md") if "npm pack" in b]
    assert install == native + "pulumi up\n"
