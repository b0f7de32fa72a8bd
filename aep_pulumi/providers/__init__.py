"""Pulumi dynamic providers for AEP (constructible with no arguments, no import side effects).

Each provider loads on first use: the provider host unpickles one provider class at a time, and
its first answer should not wait for the modules of the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_MODULES = {
    "DatasetProvider": "dataset",
    "ProfileExportJobProvider": "export_job",
    "ProfileExportWaitProvider": "export_wait",
}

__all__ = ["DatasetProvider", "ProfileExportJobProvider", "ProfileExportWaitProvider"]

if TYPE_CHECKING:
    from .dataset import DatasetProvider
    from .export_job import ProfileExportJobProvider
    from .export_wait import ProfileExportWaitProvider


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
