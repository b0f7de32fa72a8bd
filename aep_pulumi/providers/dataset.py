"""``DatasetProvider``: a Catalog dataset as a Pulumi dynamic resource (see
:mod:`aep_pulumi.core.dataset`). This module path is frozen: states hold the class pickled by
reference."""

from __future__ import annotations

from ..core.dataset import DatasetCore
from .base import AepProviderBase


class DatasetProvider(AepProviderBase):
    """Creates, reads, updates and deletes AEP Catalog datasets."""

    core_class = DatasetCore
