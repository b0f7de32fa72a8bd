"""What the core's operations return: plain data each front door wraps in its own types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

# The properties an operation receives (inputs, or the state's outputs) and the state it returns.
Props: TypeAlias = Mapping[str, Any]
State: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class CheckOutcome:
    """Normalised inputs, and every ``(property path, reason)`` that makes them unacceptable."""

    inputs: dict[str, Any]
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DiffOutcome:
    """What changed: properties that force a replacement, and those updated in place."""

    replaces: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    delete_before_replace: bool = False

    @property
    def changes(self) -> bool:
        return bool(self.replaces or self.updates)


@dataclass(frozen=True)
class Created:
    """A new object: its id and the resource's state."""

    id: str
    outputs: dict[str, Any]


@dataclass(frozen=True)
class ReadOutcome:
    """A refresh or an adoption: ``id`` ``None`` when the object is gone. ``inputs`` are given
    when they should replace the stored inputs (an adoption)."""

    id: str | None
    outputs: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] | None = None


GONE = ReadOutcome(None)


@dataclass(frozen=True)
class CallOptions:
    """What a front door knows of one call beyond its properties: the engine's timeout for it
    (``customTimeouts``, seconds), and who claims what it makes (the native plugin reads it from
    the URN; the dynamic door's resources send it as the ``owner`` input)."""

    timeout: float | None = None
    owner: str | None = None


NO_OPTIONS = CallOptions()
