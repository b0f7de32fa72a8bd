"""The ``ProfileExportJob`` resource: one ``POST /export/jobs``, exactly once.

=================  =====================================================================
``lifecycle``      :class:`ExportJobCore`: diff, create (submit, claim, wait), read, update,
                   delete
``request``        the request as a frozen value, and whether a job record could be its result
``submit``         the exactly-once path: the look at what earlier runs left, the ``POST``
``lost_answer``    the search for the job of a ``POST`` whose answer was lost
``claims``         claims on the target dataset: written, read back, released
``claim_tags``     what a claim's tag says (values, no HTTP)
``claim_keeper``   claims read again a little after their read-back, in the background
``state``          a job record as state; a job adopted by id
``ending``         a job whose end was not seen, or that AEP forgot: its batches decide
=================  =====================================================================
"""

from .lifecycle import ExportJobCore

__all__ = ["ExportJobCore"]
