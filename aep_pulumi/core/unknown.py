"""A value the engine does not know yet (a preview of a not-yet-created dependency).

Each front door maps its own placeholder (``pulumi.output.Unknown`` in dynamic providers, a
computed value on the native plugin's wire) to :data:`UNKNOWN` before calling the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Unknown:
    """The type of :data:`UNKNOWN`."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    """True for a value not known yet."""
    return isinstance(value, Unknown)


def contains_unknown(value: Any) -> bool:
    """True when ``value`` or anything nested in it is unknown."""
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False
