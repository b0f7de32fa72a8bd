"""The install commands the README gives (its Install section), run as a user runs them: into a fresh virtualenv,
from a local checkout and from a git URL (`git+file://localhost/...`: pip refuses
`git+file:///` without a host). Dependencies are left out (`--no-deps`): what is tested is that
pip finds, builds and installs this package and its console scripts from each source. The local
checkout is a copy in the test's own folder: pip builds in the source tree (``build/``), and the
project's own checkout is left as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ("aep-export", "aep-sandbox", "pulumi-resource-aep")
LOCAL = "<a copy of this checkout>"
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "node_modules", ".*_cache"
)


def _is_git_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    probe = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return probe.returncode == 0


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(LOCAL, id="local checkout"),
        pytest.param(
            f"aep-pulumi @ git+file://localhost{ROOT}",
            id="git URL",
            marks=pytest.mark.skipif(
                not _is_git_checkout(), reason="not a git checkout (clone the repository)"
            ),
        ),
    ],
)
def test_the_install_command_installs_the_package_and_its_scripts(
    tmp_path: Path, source: str
) -> None:
    if source == LOCAL:
        source = str(tmp_path / "checkout")
        shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", source],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shown = subprocess.run(
        [str(python), "-m", "pip", "show", "aep-pulumi"], capture_output=True, text=True
    )
    assert "Name: aep-pulumi" in shown.stdout
    for script in SCRIPTS:
        assert (env_dir / "bin" / script).is_file(), script
    # The test kit's drivers for Node.js and Go programs are package data, not modules.
    (site,) = (env_dir / "lib").glob("python3*/site-packages")
    for driver in ("inline.js", "inline.go"):
        assert (site / "aep_pulumi" / "testing" / driver).is_file(), driver
    assert sys.executable not in str(python)
