"""Run one ``pulumi`` operation on a Python program as an Automation API inline program.

    python -m aep_pulumi.testing.inline OPERATION WORK_DIR STACK [--events FILE] [--out FILE]
        [--diff] [--refresh] [--run-program]

OPERATION is ``preview``, ``up``, ``refresh``, ``destroy`` or ``import`` (of ``--resources``). ``WORK_DIR`` holds the program
(``__main__.py``) and its ``Pulumi.yaml``; the stack must exist there (``pulumi stack init``),
and its configuration is read from ``Pulumi.<stack>.yaml`` as the CLI wrote it.

Why a process of its own: without a Python language host (the Go module proxy does not serve
one), the CLI can still run a Python program through the Automation API, which serves the
program from the calling process (``pulumi up --client``). Running it here, not in the test
process, keeps Pulumi's runtime state out of pytest and matches a user's ``python deploy.py``.
The engine's events are written as JSON lines to ``--events``; the result to ``--out``.
"""

from __future__ import annotations

import argparse
import enum
import json
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto


def plain(value: Any) -> Any:
    """An automation event object as JSON data."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "__dict__"):
        return {k: plain(v) for k, v in vars(value).items() if v is not None}
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aep_pulumi.testing.inline")
    parser.add_argument("operation", choices=["preview", "up", "refresh", "destroy", "import"])
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("stack")
    parser.add_argument("--events", type=Path, help="write the engine's events here (JSON lines)")
    parser.add_argument("--out", type=Path, help="write the result here (JSON)")
    parser.add_argument(
        "--resources", type=Path, help="for import: a JSON list of {type, name, id} to import"
    )
    # The CLI's own flags of the same names, for the operations that take them.
    parser.add_argument("--diff", action="store_true", help="preview/up/refresh: a rich diff")
    parser.add_argument("--refresh", action="store_true", help="preview/up: refresh first")
    parser.add_argument(
        "--run-program", action="store_true", help="refresh/destroy: run the program"
    )
    return parser


def _operate(
    stack: auto.Stack, args: argparse.Namespace, on_event: Callable[[auto.EngineEvent], None]
) -> dict[str, Any]:
    """Run the operation; its result (outputs, summary, the CLI's output)."""
    # `run_program=False` would add `--run-program=false`; None leaves the CLI's own default.
    run_program = args.run_program or None
    if args.operation == "preview":
        preview = stack.preview(
            on_event=on_event, color="never", diff=args.diff, refresh=args.refresh
        )
        return {"changes": plain(preview.change_summary), "stdout": preview.stdout}
    if args.operation == "up":
        up = stack.up(on_event=on_event, color="never", diff=args.diff, refresh=args.refresh)
        return {
            "outputs": {k: v.value for k, v in up.outputs.items()},
            "summary": plain(up.summary.resource_changes),
            "stdout": up.stdout,
        }
    if args.operation == "import":
        wanted = json.loads(args.resources.read_text(encoding="utf-8")) if args.resources else []
        imported = stack.import_resources(resources=wanted, generate_code=False)
        return {"summary": plain(imported.summary.resource_changes), "stdout": imported.stdout}
    if args.operation == "refresh":
        refresh = stack.refresh(
            on_event=on_event, color="never", diff=args.diff, run_program=run_program
        )
        return {"summary": plain(refresh.summary.resource_changes), "stdout": refresh.stdout}
    destroy = stack.destroy(on_event=on_event, color="never", run_program=run_program)
    return {"summary": plain(destroy.summary.resource_changes), "stdout": destroy.stdout}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work_dir = args.work_dir.resolve()

    def program() -> None:
        runpy.run_path(str(work_dir / "__main__.py"), run_name="__main__")

    events = args.events.open("w", encoding="utf-8") if args.events else None

    def on_event(event: auto.EngineEvent) -> None:
        if events is not None:
            events.write(json.dumps(plain(event)) + "\n")
            events.flush()

    # The project is the work dir's Pulumi.yaml (read, never rewritten).
    project = yaml.safe_load((work_dir / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]
    stack = auto.select_stack(
        stack_name=args.stack,
        project_name=str(project),
        program=program,
        opts=auto.LocalWorkspaceOptions(work_dir=str(work_dir)),
    )
    result: dict[str, Any] = {"operation": args.operation}
    try:
        result.update(_operate(stack, args, on_event))
        code = 0
    except auto.CommandError as exc:
        result["error"] = str(exc)
        code = 1
    finally:
        if events is not None:
            events.close()
    if args.out:
        args.out.write_text(json.dumps(result), encoding="utf-8")
    else:
        json.dump(result, sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
