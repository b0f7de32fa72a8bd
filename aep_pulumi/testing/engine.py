"""The real Pulumi engine, for end-to-end tests and the demo.

:func:`find_engine` finds a Pulumi CLI (``$AEP_PULUMI_ENGINE``, a compatible ``pulumi`` on PATH,
or what ``make engine`` built). A :class:`Workspace` keeps everything local and throwaway: its
own ``PULUMI_HOME``, a file backend in a folder of its own, passphrase secrets, no update check,
no plugin download, nothing leaving the machine. A :class:`Project` is a copy of a program in
the workspace (the original is never written to), with its stacks.

Python, Node.js and Go programs run as Automation API inline programs in a process of their
own (``aep_pulumi.testing.inline``, ``inline.js``, and ``inline.go`` built with the program:
``go_program``), because the Go module proxy serves none of their language hosts; everything
that does not run the program (``refresh``, ``destroy``, ``config``, ``stack output``,
``import``, ``stack export``) is the CLI itself. YAML programs are the CLI alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .go_program import built_program

ENGINE_VARIABLE = "AEP_PULUMI_ENGINE"
HOW_TO_GET = (
    "run `make engine` (it builds the Pulumi CLI from the Go module proxy into your cache), "
    f"put a Pulumi CLI 3.200 or later on PATH, or set {ENGINE_VARIABLE} to its folder"
)
PASSPHRASE = "e2e-passphrase-not-a-secret"
LAUNCHER = "pulumi-resource-pulumi-python"


def _cache_builds() -> list[Path]:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    builds = (base / "aep-pulumi" / "engine").glob("*/bin/.complete")
    return sorted((p.parent for p in builds), key=lambda p: p.stat().st_mtime, reverse=True)


def find_engine() -> Path | None:
    """The folder that holds ``pulumi`` (and the dynamic provider launcher), or ``None``."""
    named = os.environ.get(ENGINE_VARIABLE)
    if named:
        folder = Path(named)
        return folder if (folder / "pulumi").is_file() else None
    on_path = shutil.which("pulumi")
    if on_path is not None:
        folder = Path(on_path).resolve().parent
        if (folder / LAUNCHER).exists() or shutil.which(LAUNCHER):
            return folder
    builds = _cache_builds()
    return builds[0] if builds else None


@dataclass
class Run:
    """One CLI or inline-program run: its exit code, output, events and result."""

    code: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    # From the command's start to its end, without the kit's reading of its events afterwards.
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code == 0

    def steps(self) -> dict[str, str]:
        """Each resource's operation (``create``, ``update``, ``replace``, ``delete``, ``read``,
        ``same``), by name. A replacement's steps (``create-replacement``, ``replace``,
        ``delete-replaced``) read as ``replace``."""
        seen: dict[str, set[str]] = {}
        for event in self.events:
            meta = (event.get("resource_pre_event") or {}).get("metadata") or {}
            urn, op = meta.get("urn"), meta.get("op")
            if urn and op and not str(meta.get("type", "")).startswith("pulumi:"):
                seen.setdefault(urn.rsplit("::", 1)[-1], set()).add(str(op))
        ops: dict[str, str] = {}
        for name, found in seen.items():
            ops[name] = next(
                (
                    kind
                    for kind in ("replace", "create", "update", "delete", "read")
                    if any(kind in op for op in found)
                ),
                "same",
            )
        return ops

    def step_keys(self) -> dict[str, list[str]]:
        """The properties that drive each resource's operation (``diffs`` of the step)."""
        keys: dict[str, list[str]] = {}
        for event in self.events:
            meta = (event.get("resource_pre_event") or {}).get("metadata") or {}
            urn = meta.get("urn")
            if urn and not str(meta.get("type", "")).startswith("pulumi:"):
                name = urn.rsplit("::", 1)[-1]
                keys[name] = sorted(set(keys.get(name, [])) | set(meta.get("diffs") or []))
        return keys

    def text(self) -> str:
        """Everything the run said: output, error output, events, result."""
        return "\n".join(
            [
                self.stdout,
                self.stderr,
                *(json.dumps(e) for e in self.events),
                json.dumps(self.result),
            ]
        )


class Workspace:
    """A throwaway Pulumi home and file backend under ``root``, driving the CLI at ``engine``."""

    def __init__(self, root: Path, engine: Path, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.engine = engine
        self.home = root / "pulumi-home"
        self.backend = root / "backend"
        self.home.mkdir(parents=True, exist_ok=True)
        self.backend.mkdir(parents=True, exist_ok=True)
        self.extra_env = dict(env or {})

    def environment(self, **overrides: str | None) -> dict[str, str]:
        """The environment every command runs in (``None`` removes a variable)."""
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PULUMI_", "AEP_")) or k == "AEP_OPENAPI_DIR"
        }
        path = os.pathsep.join(
            [str(self.engine), str(Path(sys.executable).parent), base.get("PATH", "")]
        )
        env = {
            **base,
            "PATH": path,
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": f"file://{self.backend}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            # `--event-log` (the engine's events, for YAML programs) is a debug flag.
            "PULUMI_DEBUG_COMMANDS": "true",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def cli(
        self,
        args: list[str],
        cwd: Path,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = 600,
        flags: list[str] | None = None,
    ) -> Run:
        """``pulumi ARGS``, with ``flags`` (and ``--non-interactive``) before any ``--``."""
        split = args.index("--") if "--" in args else len(args)
        command = [*args[:split], *(flags or []), "--non-interactive", *args[split:]]
        completed = subprocess.run(
            [str(self.engine / "pulumi"), *command],
            cwd=cwd,
            env=dict(env or self.environment()),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Run(completed.returncode, completed.stdout, completed.stderr)

    def project(self, program: Path, name: str | None = None) -> Project:
        """A copy of ``program`` (a folder with ``Pulumi.yaml``) to deploy from."""
        target = self.root / "projects" / (name or program.name)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(
            program, target, ignore=shutil.ignore_patterns("Pulumi.*.yaml", "__pycache__")
        )
        settings = yaml.safe_load((target / "Pulumi.yaml").read_text(encoding="utf-8"))
        runtime = settings.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name == "python":
            # Dynamic providers start in this environment (the launcher reads the option).
            settings["runtime"] = {"name": "python", "options": {"virtualenv": sys.prefix}}
            (target / "Pulumi.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        return Project(self, target, str(runtime_name), source=program)


class Project:
    """A program in a workspace, and the operations on one of its stacks."""

    def __init__(
        self, workspace: Workspace, work_dir: Path, runtime: str, source: Path | None = None
    ) -> None:
        self.workspace = workspace
        self.work_dir = work_dir
        self.runtime = runtime
        # Where the program was copied from: a Go module is built from there, where the
        # relative paths of its go.mod's `replace` directives hold.
        self.source = source or work_dir
        self.stack = ""

    def cli(self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 600) -> Run:
        """``pulumi ARGS`` in this project, on this stack."""
        flags = ["--stack", self.stack] if self.stack and args[:2] != ("stack", "init") else []
        return self.workspace.cli(list(args), self.work_dir, env=env, timeout=timeout, flags=flags)

    def init(self, stack: str = "e2e") -> Project:
        self.stack = stack
        run = self.workspace.cli(["stack", "init", stack], self.work_dir)
        assert run.ok, run.stderr
        return self

    def config(self, key: str, value: Any, *, secret: bool = False) -> None:
        """``pulumi config set [--secret] key value`` (objects and lists as JSON text)."""
        text = value if isinstance(value, str) else json.dumps(value)
        run = self.cli("config", "set", *(["--secret"] if secret else []), key, "--", text)
        assert run.ok, run.stderr

    def _operation_command(
        self, operation: str, events: Path, out: Path, extra: list[str]
    ) -> list[str]:
        if self.runtime == "python":
            return [
                sys.executable,
                "-m",
                "aep_pulumi.testing.inline",
                operation,
                str(self.work_dir),
                self.stack,
                "--events",
                str(events),
                "--out",
                str(out),
                *extra,
            ]
        if self.runtime == "nodejs":
            driver = Path(__file__).with_name("inline.js")
            return [
                "node",
                str(driver),
                operation,
                str(self.work_dir),
                self.stack,
                str(events),
                str(out),
            ]
        if self.runtime == "go":
            if extra:
                raise ValueError(f"the Go driver takes no extra arguments, got {extra}")
            binary = built_program(self.source)
            return [str(binary), operation, str(self.work_dir), self.stack, str(events), str(out)]
        yes = [] if operation == "preview" else ["--yes", "--skip-preview"]
        return [
            str(self.workspace.engine / "pulumi"),
            operation,
            *yes,
            "--stack",
            self.stack,
            "--non-interactive",
            "--event-log",
            str(events),
            *extra,
        ]

    def start(
        self,
        operation: str,
        *,
        env: Mapping[str, str] | None = None,
        extra: list[str] | None = None,
    ) -> subprocess.Popen[str]:
        """Start ``operation`` (``preview``/``up``/``refresh``/``destroy``/``import``) without
        waiting; ``extra`` arguments go to the driver (or the CLI, for YAML programs)."""
        runs = self.workspace.root / "runs"
        runs.mkdir(exist_ok=True)
        stamp = f"{operation}-{time.monotonic_ns()}"
        self._last = (runs / f"{stamp}.events", runs / f"{stamp}.json")
        for path in self._last:
            path.unlink(missing_ok=True)
        # Before the clock starts: a Go program's first command builds it.
        command = self._operation_command(operation, *self._last, list(extra or []))
        self._started = time.monotonic()
        return subprocess.Popen(
            command,
            cwd=self.work_dir,
            env=dict(env or self.workspace.environment()),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def finish(self, process: subprocess.Popen[str], timeout: float = 900) -> Run:
        stdout, stderr = process.communicate(timeout=timeout)
        seconds = time.monotonic() - self._started
        events_path, out_path = self._last
        events = [
            json.loads(line)
            for line in (
                events_path.read_text(encoding="utf-8").splitlines() if events_path.exists() else []
            )
            if line.strip()
        ]
        result = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
        if self.runtime != "python":  # the CLI's and Node's events are camelCase
            events = [_cli_event(e) for e in events]
        return Run(
            process.returncode,
            stdout + result.get("stdout", ""),
            stderr + result.get("error", ""),
            events,
            result,
            seconds,
        )

    def run(
        self,
        operation: str,
        *,
        env: Mapping[str, str] | None = None,
        extra: list[str] | None = None,
        timeout: float = 900,
    ) -> Run:
        return self.finish(self.start(operation, env=env, extra=extra), timeout)

    def import_resources(self, resources: list[dict[str, str]]) -> Run:
        """``pulumi import`` of ``resources`` (``{type, name, id}``), no code generated."""
        if self.runtime != "python":
            args: list[str] = []
            for r in resources:
                args += [r["type"], r["name"], r["id"]]
            return self.cli("import", *args, "--yes", "--generate-code=false")
        listing = self.workspace.root / "runs" / f"import-{time.monotonic_ns()}.json"
        listing.parent.mkdir(exist_ok=True)
        listing.write_text(json.dumps(resources), encoding="utf-8")
        return self.run("import", extra=["--resources", str(listing)])

    def outputs(self) -> dict[str, Any]:
        run = self.cli("stack", "output", "--json")
        assert run.ok, run.stderr
        return dict(json.loads(run.stdout or "{}"))

    def state(self) -> dict[str, Any]:
        run = self.cli("stack", "export")
        assert run.ok, run.stderr
        return dict(json.loads(run.stdout))

    def resources(self) -> dict[str, dict[str, Any]]:
        """The state's resources of this package, by name."""
        deployment = self.state().get("deployment", {})
        return {
            r["urn"].rsplit("::", 1)[-1]: r
            for r in deployment.get("resources") or []
            if not r["type"].startswith("pulumi:")
        }


def _cli_event(event: dict[str, Any]) -> dict[str, Any]:
    """A CLI ``--event-log`` line in the shape automation's events take (snake_case keys)."""

    def snake(name: str) -> str:
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {snake(k): convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    converted: dict[str, Any] = convert(event)
    return converted
