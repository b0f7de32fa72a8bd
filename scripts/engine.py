"""``make engine``: the Pulumi CLI and the language hosts this project's e2e tier needs.

    python3 scripts/engine.py            # find or build; the last line is the folder of `pulumi`
    python3 scripts/engine.py --find     # only find (no build); exit 1 when there is none

A compatible ``pulumi`` already on PATH is used as it is. Otherwise the CLI is built from the Go
module proxy: ``engine/cli`` requires ``github.com/pulumi/pulumi/pkg/v3`` (``go install`` refuses
it: its go.mod has replace directives) and builds ``cmd/pulumi`` with its version stamped, and
``engine/yaml`` builds the YAML language host (``pulumi-language-yaml``); ``engine/cli/sdkgen``
is our SDK generator over Pulumi's code generators (``make sdks``). Beside them goes our
launcher for Python dynamic providers (``pulumi-resource-pulumi-python``: ``python -m
pulumi.dynamic`` in the program's environment). The Python language host is not served by the
module proxy, so Python programs run as Automation API inline programs (see
``aep_pulumi.testing.engine``).

Builds are cached in ``$XDG_CACHE_HOME/aep-pulumi/engine/<hash of the pins>`` (default
``~/.cache``) and redone only when a pin (a go.mod, a go.sum, the launcher) changes. Standard
library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"
# The oldest CLI whose engine behaviour the e2e tier was written against.
MIN_VERSION = (3, 200, 0)
LAUNCHER = """#!/bin/sh
# Pulumi's dynamic provider host for Python programs (what the engine starts for
# `pulumi-python:dynamic` resources), run by the Python of the program's environment, in order:
# 1. PULUMI_RUNTIME_VIRTUALENV, the project's `virtualenv` runtime option (relative to the
#    program's folder); when it is set, its python must have the `pulumi` package;
# 2. VIRTUAL_ENV, an activated virtualenv: the engine passes no runtime option to the plugins of
#    an Automation API inline program, which runs in the caller's environment;
# 3. the first python3 or python on PATH that has the `pulumi` package.
# Otherwise it fails saying how to fix it, never `No module named 'pulumi'` from another Python.
has_pulumi() {
  [ -x "$1" ] && "$1" -c "import importlib.util as u, sys; sys.exit(u.find_spec('pulumi') is None)" 2>/dev/null
}
absolute() {
  case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac
}
if [ -n "${PULUMI_RUNTIME_VIRTUALENV:-}" ]; then
  venv=$(absolute "$PULUMI_RUNTIME_VIRTUALENV")
  if has_pulumi "$venv/bin/python"; then
    exec "$venv/bin/python" -u -m pulumi.dynamic "$@"
  fi
  echo "pulumi-resource-pulumi-python: the program's virtualenv $venv (PULUMI_RUNTIME_VIRTUALENV, from runtime.options.virtualenv) has no bin/python with the pulumi package; create it and install the program's requirements there" >&2
  exit 1
fi
if [ -n "${VIRTUAL_ENV:-}" ] && has_pulumi "$(absolute "$VIRTUAL_ENV")/bin/python"; then
  exec "$(absolute "$VIRTUAL_ENV")/bin/python" -u -m pulumi.dynamic "$@"
fi
saved_ifs=$IFS
IFS=:
for folder in $PATH; do
  for name in python3 python; do
    if has_pulumi "${folder:-.}/$name"; then
      IFS=$saved_ifs
      exec "${folder:-.}/$name" -u -m pulumi.dynamic "$@"
    fi
  done
done
echo "pulumi-resource-pulumi-python: found no Python with the pulumi package (PULUMI_RUNTIME_VIRTUALENV and VIRTUAL_ENV name none, and no python3 or python on PATH has it). Set runtime.options.virtualenv in Pulumi.yaml; for an Automation API inline program, set PULUMI_RUNTIME_VIRTUALENV (or VIRTUAL_ENV) to the program's virtualenv, or put its bin folder first on PATH" >&2
exit 1
"""
BINARIES = ("pulumi", "pulumi-language-yaml", "pulumi-resource-pulumi-python", "aep-sdkgen")


def say(message: str) -> None:
    print(f"engine: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aep-pulumi" / "engine"


def pins_hash() -> str:
    digest = hashlib.sha256(LAUNCHER.encode())
    for name in ("cli/go.mod", "cli/go.sum", "cli/sdkgen/main.go", "yaml/go.mod", "yaml/go.sum"):
        digest.update(name.encode() + b"\0" + (ENGINE / name).read_bytes())
    return digest.hexdigest()[:16]


def cli_version() -> str:
    text = (ENGINE / "cli" / "go.mod").read_text(encoding="utf-8")
    match = re.search(r"github\.com/pulumi/pulumi/pkg/v3 (v\d+\.\d+\.\d+)", text)
    if match is None:
        raise SystemExit("engine: engine/cli/go.mod requires no pulumi/pkg/v3 version")
    return match.group(1)


def parse_version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in match.groups()) if match else None


def on_path() -> Path | None:
    """A compatible `pulumi` on PATH (with a dynamic-provider launcher beside it or on PATH)."""
    found = shutil.which("pulumi")
    if found is None:
        return None
    try:
        out = subprocess.run(
            [found, "version"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    version = parse_version(out)
    folder = Path(found).resolve().parent
    if version is None or version < MIN_VERSION:
        say(
            f"{found} is {out.strip() or 'of no known version'}; {'.'.join(map(str, MIN_VERSION))} or later is needed"
        )
        return None
    if not (
        (folder / "pulumi-resource-pulumi-python").exists()
        or shutil.which("pulumi-resource-pulumi-python")
    ):
        say(f"{found} has no pulumi-resource-pulumi-python beside it or on PATH")
        return None
    return folder


def cached() -> Path | None:
    folder = cache_root() / pins_hash() / "bin"
    return folder if (folder / ".complete").is_file() else None


def build() -> Path:
    go = shutil.which("go")
    if go is None:
        raise SystemExit(
            "engine: no Pulumi CLI on PATH and no `go` to build one; install Go 1.26 "
            "(https://go.dev/dl/) or put a Pulumi CLI on PATH"
        )
    folder = cache_root() / pins_hash() / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    version = cli_version()
    env = {**os.environ, "GOFLAGS": "-mod=readonly", "CGO_ENABLED": "0"}
    steps = [
        (
            "cli",
            "the Pulumi CLI " + version,
            [
                go,
                "build",
                "-trimpath",
                "-ldflags",
                f"-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={version}",
                "-o",
                str(folder / "pulumi"),
                "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
            ],
        ),
        (
            "cli",
            "the SDK generator (aep-sdkgen)",
            [go, "build", "-trimpath", "-o", str(folder / "aep-sdkgen"), "./sdkgen"],
        ),
        (
            "yaml",
            "the YAML language host",
            [
                go,
                "build",
                "-trimpath",
                "-ldflags",
                "-s -w",
                "-o",
                str(folder / "pulumi-language-yaml"),
                "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml",
            ],
        ),
    ]
    for module, what, command in steps:
        say(f"building {what} (a few minutes the first time)")
        result = subprocess.run(command, cwd=ENGINE / module, env=env)
        if result.returncode != 0:
            raise SystemExit(f"engine: building {what} failed (exit {result.returncode})")
    launcher = folder / "pulumi-resource-pulumi-python"
    launcher.write_text(LAUNCHER, encoding="utf-8")
    launcher.chmod(0o755)
    (folder / ".complete").write_text(version + "\n", encoding="utf-8")
    return folder


def main(argv: list[str]) -> int:
    folder = on_path() or cached()
    if folder is None and "--find" in argv:
        return 1
    if folder is None:
        folder = build()
    say(f"using {folder / 'pulumi'}")
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
