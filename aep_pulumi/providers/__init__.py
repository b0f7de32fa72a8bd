"""Pulumi dynamic providers for AEP (constructible with no arguments, no import side effects)."""

from .dataset import DatasetProvider
from .export_job import ProfileExportJobProvider
from .export_wait import ProfileExportWaitProvider

__all__ = ["DatasetProvider", "ProfileExportJobProvider", "ProfileExportWaitProvider"]
