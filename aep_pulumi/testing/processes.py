"""The processes of a Pulumi run, read from /proc: to interrupt or kill the CLI itself (not only
the driver that started it) as a user's Ctrl-C or a killed CI runner would."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    order, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        order.append(pid)
        todo.extend(children.get(pid, []))
    return order


def cli_pid(process: subprocess.Popen[str]) -> int | None:
    """The ``pulumi`` CLI started by ``process`` (the process itself for a YAML program)."""
    for pid in process_tree(process.pid):
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if argv0.endswith(b"/pulumi") or argv0 == b"pulumi":
            return pid
    return None


def kill_tree(process: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to ``process`` and everything it started (a killed CI runner)."""
    for pid in reversed(process_tree(process.pid)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            continue
