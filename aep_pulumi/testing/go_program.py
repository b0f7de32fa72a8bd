"""Go programs for the engine driver: a Go Pulumi program built together with ``inline.go``.

The Go module proxy serves no Go language host, so the kit runs a Go program (a ``package
main`` with ``func program(ctx *pulumi.Context) error``) as an Automation API inline program,
as it does Python and Node.js programs: :func:`built_program` copies the program's module into
a build folder, adds ``inline.go`` beside its files (see that file for why as a test main), vets
both with ``go vet`` and builds one binary, which takes the driver's arguments.

The module's own ``go.mod`` and ``go.sum`` are used as they are; its ``replace`` directives that
name folders (``../../sdk/go``) are pointed at those folders where they are, and the build may
add to the copy's ``go.sum`` what only the driver needs (the Automation API's modules): the
program's folder is read, never written. Binaries are cached by content (the module's files,
the folders it replaces modules with, the driver, the Go version) in
``$XDG_CACHE_HOME/aep-pulumi/go/<digest>`` (default ``~/.cache``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

HOW_TO_GET_GO = (
    "install Go (https://go.dev/dl/, 1.26 or later, the version sdk/go's go.mod names) and put "
    "`go` on PATH"
)
DRIVER = Path(__file__).with_name("inline.go")
# The driver's name in the build folder: a test file, so that `go test -c` makes its TestMain
# the binary's entry point and leaves the program's `main` alone.
DRIVER_AS = "aep_inline_test.go"
BINARY = "program"


def go_command() -> str:
    found = shutil.which("go")
    if found is None:
        raise RuntimeError(
            f"a Go program needs the Go toolchain, and `go` is not on PATH: {HOW_TO_GET_GO}"
        )
    return found


def _go(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [go_command(), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`go {' '.join(args)}` failed in {cwd}:\n{done.stdout}{done.stderr}")
    return done.stdout


def local_replacements(module: Path) -> dict[str, Path]:
    """The ``replace`` directives of ``module``'s go.mod that name a folder: the replaced module
    (``path`` or ``path@version``, as ``go mod edit -replace`` takes it) and that folder."""
    parsed = json.loads(_go(["mod", "edit", "-json"], module))
    found: dict[str, Path] = {}
    for replace in parsed.get("Replace") or []:
        old, new = replace["Old"], replace["New"]
        if new.get("Version"):  # a module version, not a folder
            continue
        key = f"{old['Path']}@{old['Version']}" if old.get("Version") else old["Path"]
        found[key] = (module / new["Path"]).resolve()
    return found


def _files(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            yield path


def _digest(module: Path, replacements: dict[str, Path]) -> str:
    h = hashlib.sha256()
    h.update(_go(["env", "GOVERSION"], module).encode())
    h.update(DRIVER.read_bytes())
    for label, folder in [("", module), *sorted(replacements.items())]:
        for path in _files(folder):
            h.update(f"\0{label}\0{path.relative_to(folder).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "aep-pulumi" / "go"


def built_program(module: Path) -> Path:
    """The driver binary of the Go program in ``module`` (the folder of its go.mod), built if
    this content has not been built before. Raises ``RuntimeError`` with Go's output when
    ``go vet`` or the build fails."""
    module = module.resolve()
    replacements = local_replacements(module)
    done = cache_root() / _digest(module, replacements)
    if (done / ".complete").exists():
        return done / BINARY
    done.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=done.parent))
    try:
        source = work / "src"
        shutil.copytree(module, source, ignore=shutil.ignore_patterns(".*"))
        if (source / DRIVER_AS).exists():
            raise RuntimeError(f"{module} has a file named {DRIVER_AS}, the driver's name")
        shutil.copyfile(DRIVER, source / DRIVER_AS)
        for old, folder in replacements.items():
            _go(["mod", "edit", f"-replace={old}={folder}"], source)
        # `-mod=mod`: the driver's imports may need go.sum lines the program's own build does
        # not (this copy's go.sum, never the program's). No go.work of a parent folder applies.
        flags = " ".join([os.environ.get("GOFLAGS", ""), "-mod=mod"]).strip()
        env = {**os.environ, "GOFLAGS": flags, "GOWORK": "off"}
        _go(["vet", "."], source, env)
        _go(["test", "-c", "-vet=off", "-o", str(work / BINARY), "."], source, env)
        shutil.rmtree(source)
        (work / ".complete").touch()
        try:
            work.rename(done)
        except OSError:  # another process published the same content first
            if not (done / ".complete").exists():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work)
    return done / BINARY
