"""``ProfileExportWaitProvider``: one poller for many export jobs, as a Pulumi dynamic resource
(see :mod:`aep_pulumi.core.export_wait`). This module path is frozen: states hold the class
pickled by reference."""

from __future__ import annotations

from ..core.export_wait import ExportWaitCore
from .base import AepProviderBase


class ProfileExportWaitProvider(AepProviderBase):
    """Waits, with one poller, until every listed export job SUCCEEDED."""

    core_class = ExportWaitCore
