"""The log of a run under the test kit's mocks."""

from __future__ import annotations

import sys


class KitLog:
    """What a run under the mocks logs (the providers' progress and warnings, a program's own
    ``pulumi.log``): kept in order, and warnings and errors on stderr as the CLI prints them."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def _say(self, severity: str, message: object) -> None:
        text = str(message)
        self.messages.append((severity, text))
        if severity in ("warning", "error"):
            print(f"{severity}: {text}", file=sys.stderr)

    # The provider side (the core's log sink).
    def info(self, message: object) -> None:
        self._say("info", message)

    def warn(self, message: object) -> None:
        self._say("warning", message)

    # The engine side (what Pulumi's mock engine calls a logger with).
    def debug(self, message: object) -> None:
        self._say("debug", message)

    def warning(self, message: object) -> None:
        self._say("warning", message)

    def error(self, message: object) -> None:
        self._say("error", message)

    def warnings(self) -> list[str]:
        return [text for severity, text in self.messages if severity == "warning"]
