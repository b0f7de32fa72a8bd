"""The plugin's wire values and the core's plain data.

On the wire (``google.protobuf.Struct``): the package schema's camelCase names (``datasetId``,
``mergePolicy.version``), floats for every number, the engine's unknown sentinel in previews,
secrets wrapped in Pulumi's secret signature. In the core: the state's snake_case names, whole
numbers where the schema says integer, :data:`~aep_pulumi.core.values.UNKNOWN`, secrets
unwrapped. Names are converted only where the schema names them: the keys of a ``map`` (tag
names, job ids) and of free-form objects (``metrics``) stay as they are.

Written here rather than with ``pulumi.provider.experimental``'s ``PropertyValue``: in the SDK
releases this package supports, that type reads an unknown as a plain string and cannot write
one back, which a provider that supports previews needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc

from ..core.schema import TYPES, Prop, camel
from ..core.values import UNKNOWN, is_unknown

SIG = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig


def decode(struct: struct_pb2.Struct | None) -> tuple[dict[str, Any], set[str]]:
    """A Struct as plain data, and the top-level names whose value was (or held) a secret."""
    if struct is None:
        return {}, set()
    raw = json_format.MessageToDict(struct)
    secrets: set[str] = set()

    def plain(value: Any, top: str | None) -> Any:
        if isinstance(value, dict):
            if value.get(SIG) == SECRET_SIG:
                if top is not None:
                    secrets.add(top)
                return plain(value.get("value"), top)
            return {k: plain(v, top) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v, top) for v in value]
        if value == rpc.UNKNOWN:
            return UNKNOWN
        return value

    return {k: plain(v, k) for k, v in raw.items()}, secrets


def encode(values: Mapping[str, Any], secrets: Iterable[str] = ()) -> struct_pb2.Struct:
    """Plain data as a Struct (``UNKNOWN`` as the engine's unknown; ``secrets`` wrapped)."""
    hidden = set(secrets)

    def wire(value: Any) -> Any:
        if is_unknown(value):
            return rpc.UNKNOWN
        if isinstance(value, Mapping):
            return {str(k): wire(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [wire(v) for v in value]
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)):
            return float(value)
        return str(value)

    out: dict[str, Any] = {}
    for key, value in values.items():
        encoded = wire(value)
        out[key] = {SIG: SECRET_SIG, "value": encoded} if key in hidden else encoded
    struct = struct_pb2.Struct()
    struct.update(out)
    return struct


def _from_kind(kind: str, items: str | None, value: Any) -> Any:
    if value is None or is_unknown(value):
        return value
    if kind in TYPES and isinstance(value, Mapping):
        return from_wire(TYPES[kind].properties, value)
    if kind == "array" and isinstance(value, list):
        return [_from_kind(items or "any", None, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _from_kind(items or "any", None, v) for k, v in value.items()}
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def from_wire(props: Iterable[Prop], values: Mapping[str, Any]) -> dict[str, Any]:
    """camelCase wire data as snake_case core data. A name the schema does not know keeps its
    wire spelling, so that the validator reports it as the user wrote it."""
    known = {camel(p.name): p for p in props}
    out: dict[str, Any] = {}
    for key, value in values.items():
        prop = known.get(key)
        if prop is None:
            out[key] = value
        else:
            out[prop.name] = _from_kind(prop.ref or prop.kind, prop.items, value)
    return out


def _to_kind(kind: str, items: str | None, value: Any, unlisted: bool) -> Any:
    if value is None or is_unknown(value):
        return value
    if kind in TYPES and isinstance(value, Mapping):
        return to_wire(TYPES[kind].properties, value, unlisted=unlisted)
    if kind == "array" and isinstance(value, (list, tuple)):
        return [_to_kind(items or "any", None, v, unlisted) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _to_kind(items or "any", None, v, unlisted) for k, v in value.items()}
    return value


def to_wire(
    props: Iterable[Prop], values: Mapping[str, Any], *, unlisted: bool = False
) -> dict[str, Any]:
    """Core data as camelCase wire data, for the properties the core describes (``None``
    values are dropped; internal ones are kept: the schema does not show them, but the state
    holds them). A name the core does not know is dropped too, unless ``unlisted``: then it is
    sent as spelled, as a user's misspelt input reaches the plugin."""
    listed = {p.name: p for p in props}
    out: dict[str, Any] = {}
    for name, value in values.items():
        prop = listed.get(name)
        if value is None:
            continue
        if prop is not None:
            out[camel(name)] = _to_kind(prop.ref or prop.kind, prop.items, value, unlisted)
        elif unlisted:
            out[name] = value
    return out


def camel_path(props: Iterable[Prop], path: str) -> str:
    """A core property path (``merge_policy.version``, ``segments[0].segment_id``,
    ``tags.my_tag``) in the schema's spelling (``mergePolicy.version``,
    ``segments[0].segmentId``, ``tags.my_tag``)."""
    current: dict[str, Prop] | None = {p.name: p for p in props}
    out: list[str] = []
    for part in path.split("."):
        name, bracket, rest = part.partition("[")
        prop = current.get(name) if current is not None else None
        out.append(
            (camel(name) if prop is not None else name) + (bracket + rest if bracket else "")
        )
        if prop is None or prop.kind == "map":
            # After a map's name comes a key the user chose: the schema names nothing further.
            current = None
            continue
        target = prop.ref or (prop.items if prop.kind == "array" else None)
        current = {p.name: p for p in TYPES[target].properties} if target in TYPES else None
    return ".".join(out)
