"""The functions for Python programs on the dynamic door: the merge policies of a sandbox and a
dataset by id or by name, the same as the native provider's ``aep:index:getMergePolicies`` and
``aep:index:getDataset`` (one implementation, :mod:`aep_pulumi.core.functions`).

They are plain functions: they read AEP when they are called, in ``pulumi preview`` too (so a
preview of a program that calls one needs credentials). Configuration is the providers': the
stack's ``aep:*`` config inside a Pulumi program, else the ``AEP_*`` environment.
"""

from __future__ import annotations

from typing import Any

from .config import config_keys
from .core import functions as core_functions
from .providers.base import context_for


def _stack_config() -> dict[str, Any]:
    """The stack's ``aep:*`` keys when called inside a Pulumi program (none outside one)."""
    import pulumi

    try:
        aep = pulumi.Config("aep")
        found = {key: aep.get(key.split(":", 1)[1]) for key, _env in config_keys()}
    except Exception:  # outside a program Pulumi's config is simply empty; never fatal here
        return {}
    return {k: v for k, v in found.items() if v is not None}


def get_merge_policies(
    *, schema_name: str | None = None, sandbox_name: str | None = None
) -> dict[str, Any]:
    """The merge policies of ``schema_name`` (default: the profile class) in a sandbox:
    ``merge_policies`` (each ``id``, ``name``, ``schema_name``, ``default``, ``version``),
    ``default_id`` and ``default_version`` (the class's default policy)."""
    ctx = context_for(_stack_config(), [])
    return core_functions.get_merge_policies(
        ctx, {"schema_name": schema_name, "sandbox_name": sandbox_name}
    )


def get_dataset(
    *, dataset_id: str | None = None, name: str | None = None, sandbox_name: str | None = None
) -> dict[str, Any]:
    """A dataset by ``dataset_id``, or by ``name`` when exactly one dataset has it:
    ``dataset_id``, ``name``, ``description``, ``schema_id``, ``tags``, ``created``."""
    ctx = context_for(_stack_config(), [])
    return core_functions.get_dataset(
        ctx, {"dataset_id": dataset_id, "name": name, "sandbox_name": sandbox_name}
    )
