"""The public response models: ``ExportJob`` and ``ExportJobList`` validate the raw API JSON
(``ExportJob.model_validate(body)``). Every wire model lives in :mod:`aep_pulumi.aep.models`."""

from .aep.models import ExportJob, ExportJobList

__all__ = ["ExportJob", "ExportJobList"]
