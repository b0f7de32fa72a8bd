"""The ``aep`` package schema, derived from the core's description of each resource's properties
(:mod:`aep_pulumi.core.schema`): no second, hand-kept list. The TypeScript, Python and Go SDKs
are generated from it (``make sdks``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from ..config import KEYS_BY_ATTR
from ..core.schema import FUNCTIONS, RESOURCES, TYPES, Prop, ResourceSpec, camel
from ..version import PLUGIN_SERVER, PLUGIN_SERVER_VARIABLE, REPOSITORY, __version__

PACKAGE = "aep"
TOKEN = f"{PACKAGE}:index:"
# Outputs every state has.
ALWAYS_SET = ("dataset_id", "job_id", "status", "sandbox_name", "statuses", "batch_ids")


def _type_of(kind: str, items: str | None, ref: str | None) -> dict[str, Any]:
    if ref is not None or kind in TYPES:
        return {"$ref": f"#/types/{TOKEN}{ref or kind}"}
    if kind == "array":
        return {"type": "array", "items": _type_of(items or "any", None, None)}
    if kind == "map":
        return {"type": "object", "additionalProperties": _type_of(items or "any", None, None)}
    if kind == "object" or kind == "any":
        return {"$ref": "pulumi.json#/Any"}
    return {"type": kind}


def _property(prop: Prop) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "description": prop.description,
        **_type_of(prop.kind, prop.items, prop.ref),
    }
    if prop.default is not None:
        spec["default"] = prop.default
    if prop.replace and prop.input:
        spec["replaceOnChanges"] = True
    return spec


def _properties(props: Iterable[Prop]) -> dict[str, Any]:
    return {camel(p.name): _property(p) for p in props if not p.internal}


def _required(key: str, props: list[Prop]) -> dict[str, list[str]]:
    """``{key: names}``, or nothing for none (as Pulumi's schema reader writes it back)."""
    return {key: [camel(p.name) for p in props]} if props else {}


def _config() -> dict[str, Any]:
    """The provider's configuration: the same `aep:` keys as the dynamic door."""
    variables: dict[str, Any] = {}
    for key in KEYS_BY_ATTR.values():
        name = key.config.split(":", 1)[1]
        kind = (
            "integer"
            if key.attr == "max_retries"
            else "boolean"
            if key.attr == "require_claims"
            else "number"
            if key.attr.endswith(("timeout", "interval", "search"))
            else "string"
        )
        variables[name] = {
            "type": kind,
            "description": f"`{key.config}` (environment: `{key.env}`).",
            **({"secret": True} if key.secret else {}),
        }
    return variables


def plugin_server(environ: Mapping[str, str] | None = None) -> str:
    """Where the engine downloads the plugin (the schema's ``pluginDownloadURL``): the one default
    in :mod:`aep_pulumi.version`, or a build's override in ``AEP_PULUMI_PLUGIN_SERVER``."""
    found = (os.environ if environ is None else environ).get(PLUGIN_SERVER_VARIABLE, "").strip()
    return found or PLUGIN_SERVER


def _resource(spec: ResourceSpec) -> dict[str, Any]:
    """One resource's entry in the schema."""
    inputs = [p for p in spec.properties if p.input and not p.internal]
    return {
        "description": spec.description,
        "inputProperties": _properties(inputs),
        # A dataset's name defaults to the resource's name.
        **_required("requiredInputs", [p for p in inputs if p.required and p.name != "name"]),
        "properties": _properties(spec.properties),
        **_required(
            "required",
            [
                p
                for p in spec.properties
                if not p.internal and (p.required or p.default is not None or p.name in ALWAYS_SET)
            ],
        ),
    }


def package_schema() -> dict[str, Any]:
    """The schema as a dict (what ``GetSchema`` answers, serialised)."""
    resources = {f"{TOKEN}{spec.name}": _resource(spec) for spec in RESOURCES.values()}
    functions = {
        f"{TOKEN}{spec.name}": {
            "description": spec.description,
            "inputs": {"properties": _properties(spec.inputs)},
            "outputs": {"properties": _properties(spec.outputs)},
        }
        for spec in FUNCTIONS.values()
    }
    types = {
        f"{TOKEN}{t.name}": {
            "type": "object",
            "description": t.description,
            "properties": _properties(t.properties),
            **_required("required", [p for p in t.properties if p.required]),
        }
        for t in TYPES.values()
    }
    config = _config()
    return {
        "name": PACKAGE,
        "displayName": "Adobe Experience Platform profile exports",
        "version": __version__,
        "description": "Adobe Experience Platform profile exports (datasets and export jobs) as "
        "Pulumi resources.",
        "license": "Apache-2.0",
        "keywords": ["pulumi", "aep", "adobe", "category/cloud"],
        "homepage": REPOSITORY,
        "repository": REPOSITORY,
        "publisher": "aep-pulumi",
        "namespace": "aep-pulumi",
        # Each SDK asks the engine for this plugin version from this server (respectSchemaVersion
        # below writes the version into the SDKs instead of a placeholder).
        "pluginDownloadURL": plugin_server(),
        "config": {"variables": config},
        "provider": {
            "description": "The `aep` provider: its configuration is the `aep:` keys.",
            "inputProperties": config,
        },
        "types": types,
        "resources": resources,
        "functions": functions,
        "language": {
            "python": {"packageName": "pulumi_aep", "respectSchemaVersion": True},
            "nodejs": {
                "packageName": "@aep-pulumi/aep",
                "packageDescription": "AEP profile exports",
                "respectSchemaVersion": True,
            },
            "go": {
                "importBasePath": "github.com/aep-pulumi/aep-pulumi/sdk/go/aep",
                "respectSchemaVersion": True,
            },
        },
    }


def schema_json() -> str:
    return json.dumps(package_schema(), indent=2, sort_keys=True)
