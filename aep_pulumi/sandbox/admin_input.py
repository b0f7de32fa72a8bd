"""Checks of the admin endpoints' bodies, field by field against the knobs' own types.

The AEP paths are validated against Adobe's specs; the admin paths have no spec, so each field is
checked against the type its dataclass declares. A wrong shape gets a 400 naming the field when
it is sent, not a 500 later (``credentials`` as a list once made every IMS request fail).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any


class AdminInputError(ValueError):
    """A field of an admin request body has the wrong shape (``field`` names it)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"{field}: {reason}")


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _is_number(value: Any) -> bool:
    # JSON has no separate booleans-as-numbers: `true` is not 1 here.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _convert(field: str, value: Any, hint: Any) -> Any:
    """``value`` as the type ``hint`` declares, or :class:`AdminInputError`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(field, value, inner)
    expected: str
    if hint is bool:
        if isinstance(value, bool):
            return value
        expected = "a boolean"
    elif hint is float:
        if _is_number(value):
            return float(value)
        expected = "a number"
    elif hint is int:
        if _is_number(value) and float(value).is_integer():
            return int(value)
        expected = "a whole number"
    elif hint is str:
        if isinstance(value, str):
            return value
        expected = "a string"
    elif origin in (list, tuple) and isinstance(value, list):
        item = args[0]
        converted = [_convert(f"{field}[{i}]", v, item) for i, v in enumerate(value)]
        return tuple(converted) if origin is tuple else converted
    elif origin is dict and isinstance(value, dict):
        return {str(k): _convert(f"{field}.{k}", v, args[1]) for k, v in value.items()}
    else:
        expected = {list: "a list", tuple: "a list", dict: "an object"}.get(origin, str(hint))
        if origin is dict:
            expected = "an object of client id -> secret" if field == "credentials" else expected
    raise AdminInputError(field, f"must be {expected}, got {_kind(value)}")


def checked_fields(cls: type, body: Any, where: str = "") -> dict[str, Any]:
    """``body``'s fields converted to the types ``cls`` (a dataclass) declares; an unknown field
    or a wrong shape raises :class:`AdminInputError` naming it (``where`` prefixes the name)."""
    if not isinstance(body, Mapping):
        raise AdminInputError(where or "body", f"must be an object, got {_kind(body)}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    out: dict[str, Any] = {}
    for key, value in body.items():
        name = f"{where}.{key}" if where else str(key)
        if key not in known:
            raise AdminInputError(name, f"unknown field; known: {', '.join(sorted(known))}")
        out[str(key)] = _convert(name, value, hints[key])
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and f.name not in out:
            raise AdminInputError(f"{where}.{f.name}" if where else f.name, "is required")
    return out


def checked_list(body: Mapping[str, Any], key: str) -> list[Any]:
    """``body[key]`` when it is a list (empty when absent)."""
    value = body.get(key, [])
    if not isinstance(value, list):
        raise AdminInputError(key, f"must be a list, got {_kind(value)}")
    return value
