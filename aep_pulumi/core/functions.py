"""The functions (invokes): a sandbox's merge policies, and a dataset by id or by name.

Reads only, over plain dicts (:data:`IMPLEMENTATIONS`, by the names of :data:`~.schema.FUNCTIONS`); each front door calls
them its own way (an invoke of the ``aep`` plugin; a plain function in a Python program).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import AepError, AepNotFoundError
from .context import Context
from .schema import DEFAULT_SCHEMA_NAME, camel
from .validation import did_you_mean


def check_arguments(function: str, args: Mapping[str, Any], names: Iterable[str]) -> None:
    """Refuse an argument ``function`` does not take (a misspelt one would otherwise be
    dropped, and the function read something else than asked), suggesting the closest."""
    names = list(names)
    for key in args:
        if key not in names:
            raise AepError(
                f"{function} takes no argument `{key}`{did_you_mean(key, names)} "
                f"(its arguments: {', '.join(camel(n) for n in names)})"
            )


def get_merge_policies(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Every merge policy of a schema class in a sandbox, and the class's default one."""
    schema_name = str(args.get("schema_name") or DEFAULT_SCHEMA_NAME)
    sandbox = str(args.get("sandbox_name") or ctx.default_sandbox())
    policies = ctx.client().list_merge_policies(schema_name=schema_name, sandbox=sandbox)
    default = next((p for p in policies if p.default), None)
    return {
        "merge_policies": [
            {
                "id": p.id,
                "name": p.name,
                "schema_name": p.schema_name,
                "default": p.default,
                "version": p.version,
            }
            for p in policies
        ],
        "default_id": default.id if default else "",
        "default_version": default.version if default else None,
    }


def get_dataset(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset by ``dataset_id``, or by ``name`` when exactly one dataset has it."""
    sandbox = str(args.get("sandbox_name") or ctx.default_sandbox())
    client = ctx.client()
    dataset_id, name = args.get("dataset_id"), args.get("name")
    if bool(dataset_id) == bool(name):
        raise AepError("getDataset takes `datasetId` or `name`, one of them")
    if dataset_id:
        record = client.get_dataset(str(dataset_id), sandbox=sandbox)
        found_id = str(dataset_id)
    else:
        matches = client.list_datasets(sandbox=sandbox, name=str(name))
        exact = {k: v for k, v in matches.items() if v.name == name}
        if not exact:
            raise AepNotFoundError(f"no dataset is named {name!r} in sandbox {sandbox!r}")
        if len(exact) > 1:
            raise AepError(
                f"{len(exact)} datasets are named {name!r} in sandbox {sandbox!r} "
                f"({', '.join(sorted(exact))}); look one up by `datasetId`"
            )
        ((found_id, record),) = exact.items()
    return {
        "dataset_id": found_id,
        "name": record.name,
        "description": record.description,
        "schema_id": (record.schema_ref or {}).get("id"),
        "tags": record.tags or {},
        "created": record.created,
    }


IMPLEMENTATIONS = {"getMergePolicies": get_merge_policies, "getDataset": get_dataset}
