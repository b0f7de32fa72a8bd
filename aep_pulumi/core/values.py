"""Comparing property values the way AEP and the engine see them (one rule for diffs and for
matching job records)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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


def without_internal(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` without engine-internal keys (``__provider``, ``__meta``...)."""
    return {k: v for k, v in props.items() if not k.startswith("__")}
