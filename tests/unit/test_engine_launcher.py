"""The dynamic-provider launcher `make engine` writes (`pulumi-resource-pulumi-python`) runs
Pulumi's host in the program's environment, even when the first python3 on PATH lacks `pulumi`
(an Automation API inline program: the engine passes it no `PULUMI_RUNTIME_VIRTUALENV`)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _launcher(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("aep_engine_script", ROOT / "scripts/engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    launcher = folder / "pulumi-resource-pulumi-python"
    launcher.write_text(module.LAUNCHER, encoding="utf-8")
    launcher.chmod(0o755)
    return launcher


@pytest.fixture
def bare_path(tmp_path: Path) -> str:
    """A PATH whose python3 is a Python without the `pulumi` package (isolated, no site)."""
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    python3 = bare / "python3"
    base = getattr(sys, "_base_executable", sys.executable)
    python3.write_text(f'#!/bin/sh\nexec "{base}" -I -S "$@"\n', encoding="utf-8")
    python3.chmod(0o755)
    check = subprocess.run([str(python3), "-c", "import pulumi"], capture_output=True)
    assert check.returncode != 0, "the bare python3 must lack pulumi"
    return os.pathsep.join([str(bare), "/usr/bin", "/bin"])


def _start(launcher: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(launcher)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _serves(process: subprocess.Popen[str]) -> bool:
    """The host printed its port (as every plugin does first); then it is stopped."""
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        return first.isdigit()
    finally:
        process.kill()
        process.communicate(timeout=30)


def _base_env(path: str) -> dict[str, str]:
    keep = {"HOME", "LANG", "TMPDIR"}
    return {**{k: v for k, v in os.environ.items() if k in keep}, "PATH": path}


def test_an_activated_virtualenv_wins_over_a_python3_without_pulumi(
    tmp_path: Path, bare_path: str
) -> None:
    launcher = _launcher(tmp_path)
    env = {**_base_env(bare_path), "VIRTUAL_ENV": sys.prefix}
    assert _serves(_start(launcher, env, tmp_path))


def test_the_runtime_option_is_read_relative_to_the_program(tmp_path: Path, bare_path: str) -> None:
    launcher = _launcher(tmp_path)
    program = tmp_path / "program"
    program.mkdir()
    (program / "venv").symlink_to(sys.prefix)
    env = {**_base_env(bare_path), "PULUMI_RUNTIME_VIRTUALENV": "venv"}
    assert _serves(_start(launcher, env, program))


def test_a_python_with_pulumi_later_on_path_is_found(tmp_path: Path, bare_path: str) -> None:
    launcher = _launcher(tmp_path)
    env = _base_env(os.pathsep.join([bare_path, str(Path(sys.executable).parent)]))
    assert _serves(_start(launcher, env, tmp_path))


def test_without_any_python_with_pulumi_it_says_how_to_fix_it(
    tmp_path: Path, bare_path: str
) -> None:
    launcher = _launcher(tmp_path)
    process = _start(launcher, _base_env(bare_path), tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == ""
    assert "No module named" not in err
    assert "found no Python with the pulumi package" in err
    assert "PULUMI_RUNTIME_VIRTUALENV" in err and "runtime.options.virtualenv" in err


def test_a_runtime_option_naming_no_virtualenv_fails_naming_it(
    tmp_path: Path, bare_path: str
) -> None:
    launcher = _launcher(tmp_path)
    env = {**_base_env(bare_path), "PULUMI_RUNTIME_VIRTUALENV": "missing-venv"}
    process = _start(launcher, env, tmp_path)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"virtualenv {tmp_path}/missing-venv (PULUMI_RUNTIME_VIRTUALENV" in err
