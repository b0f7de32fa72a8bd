"""Adobe Experience Platform profile exports as Pulumi resources.

Public API: the resources :class:`Dataset`, :class:`ProfileExportJob` and
:class:`ProfileExportWait` (with their ``Args``), the HTTP client :class:`AepClient`, its
:class:`AepSettings` and the :class:`AepError` family.

Names are loaded on first use: the provider host unpickles providers from
``aep_pulumi.providers`` and should not pay for the resources, the client or pydantic until a
call needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_attributes
from .version import __version__

_EXPORTS = {
    "AepClient": "aep.client",
    "AepError": "errors",
    "AepSettings": "settings",
    "Dataset": "resources",
    "DatasetArgs": "resources",
    "EventListArgs": "resources",
    "MergePolicyArgs": "resources",
    "ProfileExportJob": "resources",
    "ProfileExportJobArgs": "resources",
    "ProfileExportWait": "resources",
    "ProfileExportWaitArgs": "resources",
    "SegmentArgs": "resources",
    "SegmentQualificationTimeArgs": "resources",
}

__all__ = [
    "AepClient",
    "AepError",
    "AepSettings",
    "Dataset",
    "DatasetArgs",
    "EventListArgs",
    "MergePolicyArgs",
    "ProfileExportJob",
    "ProfileExportJobArgs",
    "ProfileExportWait",
    "ProfileExportWaitArgs",
    "SegmentArgs",
    "SegmentQualificationTimeArgs",
    "__version__",
]

if TYPE_CHECKING:
    from .aep.client import AepClient
    from .errors import AepError
    from .resources import (
        Dataset,
        DatasetArgs,
        EventListArgs,
        MergePolicyArgs,
        ProfileExportJob,
        ProfileExportJobArgs,
        ProfileExportWait,
        ProfileExportWaitArgs,
        SegmentArgs,
        SegmentQualificationTimeArgs,
    )
    from .settings import AepSettings


__getattr__ = lazy_attributes(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted(__all__)
