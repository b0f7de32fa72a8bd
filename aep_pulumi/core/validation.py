"""Checks of single property values, collecting ``(property path, reason)`` failures.

Each helper returns the normalised value, the value itself when it is unknown (a preview), or
``None`` after recording why it is not acceptable. Nothing here raises on bad input or calls AEP.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..aep.ids import object_id_problem
from .schema import camel
from .values import is_unknown

# A dot path of XDM field names: "identities.id", "_tenant.loyalty.tier", "identityMap".
_DOT_PATH = re.compile(r"^[A-Za-z_$@][A-Za-z0-9_$@-]*(\.[A-Za-z_$@][A-Za-z0-9_$@-]*)*$")
_SANDBOX = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """``; did you mean `x`?`` for the closest of ``names`` to a misspelt ``name``, in either
    spelling a door uses (``event_list`` from Python, ``eventList`` from the plugin), else
    nothing."""
    spellings = {spelled for n in names for spelled in (n, camel(n))}
    close = difflib.get_close_matches(name, sorted(spellings), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def unknown_property(name: str, names: Iterable[str]) -> str:
    """Why ``name`` is refused among properties ``names`` (those a user sets)."""
    names = list(names)
    return f"unknown property{did_you_mean(name, names)}"


class Validation:
    """Collects failures while normalising one property bag."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []

    def fail(self, path: str, reason: str) -> None:
        self.failures.append((path, reason))

    # Each helper returns the normalised value, or the input unchanged when it is unknown.

    def string(
        self, path: str, value: Any, *, required: bool = False, allow_empty: bool = False
    ) -> Any:
        if value is None:
            if required:
                self.fail(path, "is required")
            return None
        if is_unknown(value):
            return value
        if not isinstance(value, str):
            self.fail(path, f"must be a string, got {type_name(value)}")
            return None
        if not allow_empty and not value.strip():
            self.fail(path, "must not be empty")
            return None
        return value

    def boolean(self, path: str, value: Any, default: bool | None = None) -> Any:
        if value is None:
            return default
        if is_unknown(value) or isinstance(value, bool):
            return value
        self.fail(path, f"must be true or false, got {type_name(value)}")
        return default

    def whole_number(self, path: str, value: Any, *, minimum: int) -> Any:
        if value is None or is_unknown(value):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"must be a whole number, got {type_name(value)}")
            return None
        if isinstance(value, float) and not value.is_integer():
            self.fail(path, f"must be a whole number, got {value}")
            return None
        if value < minimum:
            self.fail(path, f"must be {minimum} or more, got {int(value)}")
            return None
        return int(value)

    def positive_number(self, path: str, value: Any, default: float) -> Any:
        if value is None:
            return default
        if is_unknown(value):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"must be a number of seconds, got {type_name(value)}")
            return default
        if value <= 0:
            self.fail(path, f"must be greater than 0, got {value}")
            return default
        return int(value) if float(value).is_integer() else float(value)

    def timestamp(self, path: str, value: Any) -> Any:
        text = self.string(path, value)
        if text is None or is_unknown(text):
            return text
        from rfc3339_validator import validate_rfc3339  # only jobs with timestamps pay for it

        if not validate_rfc3339(text):
            self.fail(
                path, f"not an RFC 3339 timestamp (e.g. 2018-10-25T13:22:04-07:00): {text[:60]!r}"
            )
            return None
        return text

    def dot_paths(self, path: str, value: Any) -> Any:
        if value is None or is_unknown(value):
            return value
        if isinstance(value, str):
            self.fail(
                path, 'must be a list of dot paths, e.g. ["identities.id", "personalEmail.address"]'
            )
            return None
        if not isinstance(value, (list, tuple)):
            self.fail(path, f"must be a list of dot paths, got {type_name(value)}")
            return None
        if not value:
            self.fail(path, "must not be an empty list (omit it to export every field)")
            return None
        out: list[Any] = []
        for i, item in enumerate(value):
            item_path = f"{path}[{i}]"
            if is_unknown(item):
                out.append(item)
                continue
            if not isinstance(item, str) or not item.strip():
                self.fail(item_path, "must be a non-empty dot path such as identities.id")
                continue
            if not _DOT_PATH.match(item):
                self.fail(item_path, f"not a dot path of field names: {item[:80]!r}")
                continue
            out.append(item)
        if len({x for x in out if isinstance(x, str)}) != len(
            [x for x in out if isinstance(x, str)]
        ):
            self.fail(path, "lists the same field twice")
        return out

    def mapping(self, path: str, value: Any, allowed: tuple[str, ...]) -> Any:
        """Returns the mapping, or None after recording why it is not one."""
        if value is None or is_unknown(value):
            return value
        if not isinstance(value, Mapping):
            self.fail(path, f"must be an object with {', '.join(allowed)}, got {type_name(value)}")
            return None
        for key in value:
            if key not in allowed:
                expected = ", ".join(camel(a) if key != key.lower() else a for a in allowed)
                self.fail(
                    f"{path}.{key}",
                    f"{unknown_property(key, allowed)} (expected one of {expected})",
                )
        return value

    def dataset_id(self, path: str, value: Any) -> Any:
        """A dataset id that can enter a URL path, checked as the client checks it."""
        text = self.string(path, value, required=True)
        problem = object_id_problem(text)
        if problem:
            self.fail(path, problem)
            return None
        return text

    def sandbox(self, path: str, value: Any) -> Any:
        text = self.string(path, value)
        if text is None or is_unknown(text):
            return text
        if not _SANDBOX.match(text):
            self.fail(
                path,
                f"must be an all-lower-case sandbox name such as 'prod' or 'dev', got {text!r}",
            )
            return None
        return text

    def unknown_keys(
        self, props: Mapping[str, Any], settable: tuple[str, ...], state: tuple[str, ...] = ()
    ) -> None:
        """Refuse names that are neither ``settable`` inputs nor ``state`` (outputs, which a
        door may send back), suggesting the closest input."""
        for key in props:
            if key not in settable and key not in state and not key.startswith("__"):
                self.fail(key or '""', unknown_property(key, settable))


def type_name(value: Any) -> str:
    """How a failure message names the type of a value."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without its ``None`` entries (absent and ``None`` are the same input)."""
    return {k: v for k, v in values.items() if v is not None}
