"""Property values as the core sees them: a value the engine does not know yet, the canonical
form that diffs and job matching compare, and the diff rule every resource shares.

Each front door maps its own placeholder for an unknown value (``pulumi.output.Unknown`` in
dynamic providers, a computed value on the native plugin's wire) to :data:`UNKNOWN` before
calling the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class Unknown:
    """The type of :data:`UNKNOWN` (a preview of a not-yet-created dependency)."""

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


def known(value: T | Unknown) -> T:
    """``value``, which must be known: what is sent to AEP always is (a preview sends nothing,
    and a diff builds a request only from known inputs)."""
    if isinstance(value, Unknown):
        raise TypeError("a value the engine does not know yet cannot be sent to AEP")
    return value


def contains_unknown(value: Any) -> bool:
    """True when ``value`` or anything nested in it is unknown."""
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def normal(value: Any, *, comma_lists: bool = False) -> Any:
    """A canonical form: ``1`` and ``1.0`` alike, tuples as lists, ``None`` entries dropped;
    with ``comma_lists``, comma-separated strings (``"a, b"``) trimmed as AEP stores them."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if comma_lists and "," in value:
            return ",".join(part.strip() for part in value.split(","))
        return value
    if isinstance(value, Mapping):
        return {k: normal(v, comma_lists=comma_lists) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [normal(v, comma_lists=comma_lists) for v in value]
    return value


def changed(old: Any, new: Any) -> bool:
    """Whether an input changed; an unknown value may change, so it counts."""
    if is_unknown(new) or is_unknown(old):
        return True
    return bool(normal(old) != normal(new))


def changed_keys(
    olds: Mapping[str, Any], news: Mapping[str, Any], keys: tuple[str, ...]
) -> list[str]:
    """The keys among ``keys`` whose value differs between old state and new inputs."""
    return [k for k in keys if changed(olds.get(k), news.get(k))]
