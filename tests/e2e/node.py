"""The TypeScript example, built as a user builds it: the generated SDK (``sdk/nodejs``) compiled
and packed by its own ``npm install`` and ``npm pack``, the example installed against that
tarball (its committed ``package.json``) and its other packages from npm's registry, and compiled.

Built once per content (the SDK's and the example's files) into the user cache, so that each
test only copies the example's sources and links its ``node_modules``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "nodejs"
NPM = ["npm", "--no-audit", "--no-fund", "--loglevel=error"]


def _digest(*folders: Path) -> str:
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if "node_modules" in path.parts or "bin" in path.relative_to(folder).parts[:1]:
                continue
            if path.suffix == ".tgz":
                continue
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")


def built_example(example: Path) -> Path:
    """``example`` with its ``node_modules`` and compiled ``bin/``, in the cache: the SDK packed
    as docs/native.md says (``npm install`` and ``npm pack`` in a copy of ``sdk/nodejs``), then
    the example installed with its own ``package.json`` (its ``file:`` dependency on that
    tarball, untouched) beside it, as in the checkout, and compiled."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    work = base / "aep-pulumi" / "node" / _digest(SDK, example)
    built = work / "examples" / example.name
    if (work / ".complete").exists():
        return built
    if work.exists():
        shutil.rmtree(work)
    sdk = work / "sdk" / "nodejs"
    shutil.copytree(SDK, sdk, ignore=shutil.ignore_patterns("node_modules", "bin", "*.tgz"))
    _run([*NPM, "install"], sdk)
    _run([*NPM, "pack"], sdk)
    shutil.copytree(example, built, ignore=shutil.ignore_patterns("node_modules", "bin"))
    _run([*NPM, "install"], built)
    _run(["npx", "tsc"], built)
    (work / ".complete").touch()
    return built


def link_into(project_dir: Path, built: Path) -> None:
    """Give a copy of the example the built one's ``node_modules`` and ``bin/``."""
    for name in ("node_modules",):
        target = project_dir / name
        if target.exists() or target.is_symlink():
            shutil.rmtree(
                target
            ) if target.is_dir() and not target.is_symlink() else target.unlink()
        target.symlink_to(built / name, target_is_directory=True)
    shutil.copytree(built / "bin", project_dir / "bin", dirs_exist_ok=True)
    shutil.copy(built / "package.json", project_dir / "package.json")
