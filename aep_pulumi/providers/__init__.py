"""Pulumi dynamic providers for AEP (constructible with no arguments, no import side effects).

Each provider loads on first use: the provider host unpickles one provider class at a time, and
its first answer should not wait for the modules of the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

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

__getattr__ = lazy_attributes(__name__, _MODULES)
