"""The TypeScript example, built as a user builds it: the generated SDK (``sdk/nodejs``) compiled
and packed, the example installed against that package from npm's registry and compiled.

Built once per content (the SDK's and the example's files) into the user cache, so that each
test only copies the example's sources and links its ``node_modules``.
"""

from __future__ import annotations

import hashlib
import json
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
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")


def _pack_sdk(work: Path) -> Path:
    """``sdk/nodejs`` compiled (``tsc``) and packed (``npm pack``), as a release would be."""
    sdk = work / "sdk"
    shutil.copytree(SDK, sdk)
    _run([*NPM, "install"], sdk)
    _run(["npx", "tsc"], sdk)
    for extra in ("package.json", "README.md"):
        if (sdk / extra).exists():
            shutil.copy(sdk / extra, sdk / "bin" / extra)
    _run([*NPM, "pack", "--pack-destination", str(work)], sdk / "bin")
    (tarball,) = work.glob("*.tgz")
    return tarball


def built_example(example: Path) -> Path:
    """``example`` with its ``node_modules`` and compiled ``bin/``, in the cache."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    work = base / "aep-pulumi" / "node" / _digest(SDK, example)
    built = work / "example"
    if (work / ".complete").exists():
        return built
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    tarball = _pack_sdk(work)
    shutil.copytree(example, built, ignore=shutil.ignore_patterns("node_modules", "bin"))
    package = json.loads((built / "package.json").read_text(encoding="utf-8"))
    package["dependencies"]["@aep-pulumi/aep"] = f"file:{tarball}"
    (built / "package.json").write_text(json.dumps(package, indent=4), encoding="utf-8")
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
