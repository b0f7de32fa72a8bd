"""``ProfileExportJobProvider``: one ``POST /export/jobs`` as a Pulumi dynamic resource (see
:mod:`aep_pulumi.core.export_job`). This module path is frozen: states hold the class pickled by
reference."""

from __future__ import annotations

from ..core.export_job import ExportJobCore
from .base import AepProviderBase


class ProfileExportJobProvider(AepProviderBase):
    """Submits AEP profile export jobs and (by default) waits for them to finish."""

    core_class = ExportJobCore
