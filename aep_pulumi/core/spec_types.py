"""The kinds of description :mod:`aep_pulumi.core.schema` is written in: a property, an object
type, a resource, a function. Plain data: no pulumi, no pydantic."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prop:
    """One property. ``kind`` is ``string``, ``integer``, ``number``, ``boolean``, ``array``,
    ``map`` (string keys the user chooses), ``object`` (free-form) or ``ref`` (an object type
    named by ``ref``); ``items`` is the element kind (or type name) of arrays and maps."""

    name: str
    kind: str
    description: str
    input: bool = True
    required: bool = False
    default: Any = None
    items: str | None = None
    ref: str | None = None
    replace: bool = False
    # Set by the resource itself, never by the user (the dynamic door's `owner`).
    internal: bool = False


@dataclass(frozen=True)
class ObjectType:
    """A nested object's properties (``merge_policy``, a segment, a file...)."""

    name: str
    description: str
    properties: tuple[Prop, ...]


@dataclass(frozen=True)
class ResourceSpec:
    """A resource: its token's name (``aep:index:<name>``), description and properties."""

    name: str
    description: str
    properties: tuple[Prop, ...]

    def inputs(self, *, internal: bool = True) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if p.input and (internal or not p.internal))

    def outputs(self) -> tuple[str, ...]:
        """The properties AEP decides (every input is an output too)."""
        return tuple(p.name for p in self.properties if not p.input)

    def prop(self, name: str) -> Prop:
        return next(p for p in self.properties if p.name == name)


@dataclass(frozen=True)
class FunctionSpec:
    """A function (an invoke): its inputs and outputs."""

    name: str
    description: str
    inputs: tuple[Prop, ...]
    outputs: tuple[Prop, ...] = field(default_factory=tuple)


# Every property of every request and answer goes through here (tens of thousands of calls for
# a stack of 500 exports); the names are few.
@functools.lru_cache(maxsize=1024)
def camel(name: str) -> str:
    """A state name as the package schema spells it: ``event_list`` -> ``eventList``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
