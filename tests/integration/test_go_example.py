"""The Go example (examples/native-go) builds against the committed Go SDK (sdk/go) as a user
builds it: `go vet` and `go build` in its folder, with its own go.mod and go.sum in Go's default
read-only module mode (a missing go.sum line fails instead of being added). And the test kit's
Go driver builds with it, once per content, and answers as the other drivers do. Nothing is
written into the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aep_pulumi.testing import go_program
from aep_pulumi.testing.go_program import HOW_TO_GET_GO, built_program, local_replacements

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "native-go"
SDK = ROOT / "sdk" / "go"
PULUMI_SDK = "github.com/pulumi/pulumi/sdk/v3"
OUR_SDK = "github.com/aep-pulumi/aep-pulumi/sdk/go"

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason=f"no `go` here: {HOW_TO_GET_GO}")


def _as_a_user() -> dict[str, str]:
    """This environment in Go's default module mode: `-mod=readonly`, whatever GOFLAGS says
    otherwise, and no go.work of a parent folder."""
    flags = [f for f in os.environ.get("GOFLAGS", "").split() if not f.startswith("-mod=")]
    return {**os.environ, "GOFLAGS": " ".join([*flags, "-mod=readonly"]), "GOWORK": "off"}


def _contents(*folders: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(ROOT)): p.read_bytes()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _module(folder: Path) -> Any:
    """``folder``'s go.mod as Go reads it."""
    done = subprocess.run(
        ["go", "mod", "edit", "-json"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _required(module: Any, path: str) -> str:
    (version,) = [r["Version"] for r in module["Require"] if r["Path"] == path]
    return str(version)


def test_the_go_example_is_wired_to_the_committed_sdk() -> None:
    example, sdk = _module(EXAMPLE), _module(SDK)
    assert _required(example, PULUMI_SDK) == _required(sdk, PULUMI_SDK) == "v3.274.1"
    assert local_replacements(EXAMPLE) == {OUR_SDK: SDK}
    assert (EXAMPLE / "go.sum").is_file()


def test_the_go_example_vets_and_builds_against_the_committed_sdk(tmp_path: Path) -> None:
    before = _contents(EXAMPLE, SDK)
    for args in (["vet", "."], ["build", "-o", str(tmp_path / "native-go"), "."]):
        done = subprocess.run(
            ["go", *args],
            cwd=EXAMPLE,
            env=_as_a_user(),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert done.returncode == 0, f"go {' '.join(args)}:\n{done.stdout}{done.stderr}"
    assert (tmp_path / "native-go").is_file()
    assert _contents(EXAMPLE, SDK) == before, "the build wrote into the checkout"


def test_the_kits_go_driver_builds_once_and_answers_as_the_other_drivers(tmp_path: Path) -> None:
    before = _contents(EXAMPLE, SDK)
    binary = built_program(EXAMPLE)
    assert binary.is_file() and go_program.cache_root() in binary.parents
    made = binary.stat().st_mtime_ns
    assert built_program(EXAMPLE) == binary and binary.stat().st_mtime_ns == made, "built once"
    assert _contents(EXAMPLE, SDK) == before, "the build wrote into the checkout"

    usage = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "preview|up|refresh|destroy" in usage.stderr

    # A work dir without a project: the error is the result's, as inline.py and inline.js write it.
    out = tmp_path / "out.json"
    failed = subprocess.run(
        [str(binary), "preview", str(tmp_path), "e2e", str(tmp_path / "events"), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 1, failed.stderr
    result = json.loads(out.read_text())
    assert result["operation"] == "preview" and "Pulumi.yaml" in result["error"], result


def test_the_build_follows_the_folders_a_module_is_replaced_with(tmp_path: Path) -> None:
    """Editing the SDK (a `replace` folder, not the program) makes a new build, not a stale one."""
    program, library = tmp_path / "program", tmp_path / "library"
    program.mkdir()
    library.mkdir()
    (program / "go.mod").write_text(
        "module example.com/program\n\ngo 1.26\n\nrequire example.com/library v0.0.0\n\n"
        "replace example.com/library => ../library\n"
    )
    (library / "go.mod").write_text("module example.com/library\n\ngo 1.26\n")
    (library / "library.go").write_text("package library\n")
    replacements = local_replacements(program)
    assert replacements == {"example.com/library": library}
    first = go_program._digest(program, replacements)
    (library / "library.go").write_text("package library\n\nconst Changed = true\n")
    assert go_program._digest(program, replacements) != first
