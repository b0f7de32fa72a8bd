"""Adobe Experience Platform profile exports as Pulumi resources.

Public API: the resources :class:`Dataset` and :class:`ProfileExportJob` (with their ``Args``),
the HTTP client :class:`AepClient`, its :class:`AepSettings` and the :class:`AepError` family.
"""

__version__ = "0.1.0"

from .client import AepClient
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
