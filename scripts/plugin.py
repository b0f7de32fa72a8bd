"""``make plugin``: the ``aep`` plugin's release archives and the package's wheel, in ``dist/``.

    python scripts/plugin.py [--out dist] [--server URL]

Writes ``aep_pulumi-<version>-py3-none-any.whl`` and, for each of linux, darwin and windows on
amd64 and arm64, ``pulumi-resource-aep-v<version>-<os>-<arch>.tar.gz``: the same three files
in each (a source plugin runs on any platform Python does), the repository's ``plugin/``
folder as a release has it:

- ``PulumiPlugin.yaml`` (``runtime: python``, pip, a virtualenv ``venv``) and ``__main__.py``,
  as in ``plugin/``;
- ``requirements.txt`` pinning this version of the package (``aep-pulumi==<version>``), where
  ``plugin/`` installs the checkout it sits in.

``--server`` (``make plugin PLUGIN_SERVER=...``) is a build's own download server: it goes into
the archives' ``__main__.py``, so the plugin's schema names it, as the SDKs of ``make sdks
PLUGIN_SERVER=...`` do. The archives are byte-for-byte reproducible (fixed times, owners and
modes). Standard library only, with the Python that runs it (``pip wheel`` builds the wheel, in
a copy of the sources, so the checkout is left as it was).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "plugin"
NAME = "aep"
PLATFORMS = [(os_, arch) for os_ in ("linux", "darwin", "windows") for arch in ("amd64", "arm64")]
FILES = ("PulumiPlugin.yaml", "__main__.py", "requirements.txt")
# What the wheel is built from (pyproject.toml's readme is README.md).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "aep_pulumi")
SERVER_LINE = "PLUGIN_SERVER = None\n"


def version() -> str:
    """``__version__`` of aep_pulumi/version.py (read, not imported: no venv needed)."""
    found: dict[str, object] = {}
    exec((ROOT / "aep_pulumi" / "version.py").read_text(encoding="utf-8"), found)
    return str(found["__version__"])


def archive_name(version_: str, os_: str, arch: str) -> str:
    """The asset name the engine asks a plugin server for (pulumi/pulumi
    sdk/go/common/workspace/plugins.go, ``standardAssetName``)."""
    return f"pulumi-resource-{NAME}-v{version_}-{os_}-{arch}.tar.gz"


def plugin_files(version_: str, server: str | None = None) -> dict[str, bytes]:
    """The archive's files: ``plugin/``'s, with the released package pinned (and a build's
    download server, if any)."""
    files = {name: (PLUGIN / name).read_bytes() for name in ("PulumiPlugin.yaml", "__main__.py")}
    if server:
        main = files["__main__.py"].decode()
        if SERVER_LINE not in main:
            raise SystemExit(f"plugin: plugin/__main__.py has no line {SERVER_LINE.strip()!r}")
        files["__main__.py"] = main.replace(SERVER_LINE, f"PLUGIN_SERVER = {server!r}\n").encode()
    files["requirements.txt"] = f"aep-pulumi=={version_}\n".encode()
    return files


def archive_bytes(files: dict[str, bytes]) -> bytes:
    """A .tar.gz of ``files`` at its root, the same bytes every time."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as zipped:
        zipped.write(raw.getvalue())
    return out.getvalue()


def source_digest() -> str:
    """A digest of what the wheel is built from (to cache a wheel by its content)."""
    digest = hashlib.sha256()
    for top in WHEEL_SOURCES:
        path = ROOT / top
        for file in sorted([path] if path.is_file() else path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def build_wheel(out: Path, python: str = sys.executable) -> Path:
    """The package's wheel, built by ``pip wheel`` from a copy of the sources, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aep-wheel-") as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for top in WHEEL_SOURCES:
            path = ROOT / top
            if path.is_dir():
                shutil.copytree(path, source / top, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(path, source / top)
        built = Path(tmp) / "wheel"
        subprocess.run(
            [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(built), str(source)],
            check=True,
        )
        (wheel,) = built.glob("aep_pulumi-*.whl")
        target = out / wheel.name
        shutil.copy(wheel, target)
    return target


def write_archives(out: Path, server: str | None = None) -> list[Path]:
    """Every platform's archive of the plugin, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    v = version()
    data = archive_bytes(plugin_files(v, server))
    written = []
    for os_, arch in PLATFORMS:
        path = out / archive_name(v, os_, arch)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="make plugin", description="The plugin's release archives and the package's wheel."
    )
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where (default dist/)")
    parser.add_argument("--server", default="", help="a build's own plugin download server")
    args = parser.parse_args(argv)
    for path in [build_wheel(args.out), *write_archives(args.out, args.server or None)]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
