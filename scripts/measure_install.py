"""How long the plugin's virtualenv takes to make, and how big it is: what the engine's Python
language host does when it installs the ``aep`` plugin (a fresh venv, then ``pip install -r
requirements.txt``), measured on this checkout (or another one given with ``--source``).

    python3 scripts/measure_install.py                 # this checkout
    python3 scripts/measure_install.py --source DIR    # another checkout (e.g. an older commit)
    python3 scripts/measure_install.py --cold          # pip's cache off: every wheel downloaded

It builds the package's wheel (``pip wheel --no-deps``), then times, in a fresh folder each:
``python -m venv``, and ``pip install <the wheel>`` with what the package requires from the
index (pip's cache warm: a first round fills it, then the round that counts; ``--cold``: no
cache, one round), and reports the venv's size on disk and its number of installed
distributions. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _wheel(source: Path, out: Path) -> Path:
    work = out / "src"
    shutil.copytree(
        source,
        work,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "node_modules", "*.egg-info"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(work)],
        check=True,
    )
    (wheel,) = out.glob("aep_pulumi-*.whl")
    return wheel


def _round(wheel: Path, folder: Path, cold: bool = False) -> dict[str, float | int]:
    env = {**os.environ, **({"PIP_NO_CACHE_DIR": "1"} if cold else {})}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    made = time.monotonic()
    subprocess.run(
        [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        env=env,
    )
    done = time.monotonic()
    listed = subprocess.run(
        [str(folder / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {
        "venv_seconds": round(made - started, 1),
        "pip_install_seconds": round(done - made, 1),
        "size_mb": round(_size(folder) / 1e6, 1),
        "distributions": len(json.loads(listed)),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--cold", action="store_true", help="pip's cache off (downloads all)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aep-measure-") as tmp:
        work = Path(tmp)
        wheel = _wheel(args.source.resolve(), work / "dist")
        if not args.cold:
            _round(wheel, work / "warm-up")  # fills pip's cache, as a second install finds it
        result = _round(wheel, work / "venv", cold=args.cold)
    cache = "cold" if args.cold else "warm"
    print(
        json.dumps({"source": str(args.source), "pip_cache": cache, "wheel": wheel.name, **result})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
