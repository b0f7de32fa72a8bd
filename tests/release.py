"""The plugin's release, built once per test session: what ``make plugin`` writes (the wheel and
every platform's archive, by ``scripts/plugin.py``) in a folder of the session's own, and a
wheelhouse of what the package requires, so that pip installs the plugin's venv with no index
(``PIP_NO_INDEX``, ``PIP_FIND_LINKS``: the wheel from the release, the rest from the
wheelhouse), as the engine's Python language host would from PyPI.

Costs (2 cores): the wheel, about 5 s, cached by the content of its sources; the wheelhouse,
about a minute the first time (``pip download`` from PyPI, or pip's cache), then cached by what
the wheel requires under ``$XDG_CACHE_HOME/aep-pulumi/wheelhouse``; each venv made from it,
about 15-25 s.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
# What else the wheelhouse holds: what the language host upgrades in every venv it makes, and
# pytest (a user's test run in the plugin's venv, to check the kit's fixtures).
EXTRA_WHEELS = ("pip", "setuptools", "wheel", "pytest")


def plugin_script() -> ModuleType:
    """``scripts/plugin.py`` (what ``make plugin`` runs), loaded as a module."""
    spec = importlib.util.spec_from_file_location("aep_plugin_script", ROOT / "scripts/plugin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aep-pulumi"


@dataclass
class Release:
    """A built release: ``dist`` holds the wheel and the archives."""

    dist: Path
    wheel: Path
    version: str
    wheelhouse: Path

    def archive(self, os_: str = "linux", arch: str = "amd64") -> Path:
        return self.dist / f"pulumi-resource-aep-v{self.version}-{os_}-{arch}.tar.gz"

    def pip_env(self) -> dict[str, str]:
        """What makes pip install from the release and the wheelhouse only."""
        return {
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": f"{self.dist} {self.wheelhouse}",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
        }


def _cached_wheel(script: ModuleType) -> Path:
    folder = _cache() / "wheels" / script.source_digest()
    found = sorted(folder.glob("aep_pulumi-*.whl"))
    if found and (folder / ".complete").exists():
        return found[0]
    shutil.rmtree(folder, ignore_errors=True)
    wheel = script.build_wheel(folder)
    (folder / ".complete").touch()
    return Path(wheel)


def _requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    return sorted(
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    )


def _wheelhouse(wheel: Path) -> Path:
    """Wheels of everything ``wheel`` requires (and EXTRA_WHEELS), for this Python and
    platform, downloaded once per set of requirements."""
    key = "\n".join(
        [*_requirements(wheel), *EXTRA_WHEELS, sys.version.split()[0], sysconfig.get_platform()]
    )
    folder = _cache() / "wheelhouse" / hashlib.sha256(key.encode()).hexdigest()[:16]
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
    done = subprocess.run(
        [*download, "-d", str(folder), *_requirements(wheel), *EXTRA_WHEELS],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"pip download failed (PyPI or pip's cache needed once):\n{done.stderr}")
    (folder / ".complete").touch()
    return folder


def build_release(dist: Path) -> Release:
    """The wheel and every archive in ``dist`` (as ``make plugin --out dist``), and the
    wheelhouse for an offline install."""
    script = plugin_script()
    dist.mkdir(parents=True, exist_ok=True)
    wheel = dist / _cached_wheel(script).name
    shutil.copy(_cached_wheel(script), wheel)
    script.write_archives(dist)
    return Release(dist, wheel, script.version(), _wheelhouse(wheel))
