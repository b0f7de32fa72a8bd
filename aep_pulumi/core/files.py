"""The ``files`` output of jobs and waits: an export's dataset files and their parts.

One listing per batch and one per file (Data Access), once the export SUCCEEDED. A failure only
costs the output, with a warning: the export itself happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..errors import AepError
from .context import Context
from .shapes import ExportFileOutput

if TYPE_CHECKING:
    from ..aep.data_access import ExportFile

# File listings in flight at once for a wait (AEP throttles; the client honours its 429s),
# unless the front door bounds the process's requests itself (the native plugin).
FILE_LISTINGS_AT_ONCE = 8


def files_output(files: Sequence[ExportFile]) -> list[ExportFileOutput]:
    """JSON-friendly, one entry per dataset file."""
    return [
        {
            "batch_id": f.batch_id,
            "file_id": f.file_id,
            "records": f.records,
            "size": f.size,
            "parts": [{"name": p.name, "size": p.size} for p in f.parts],
        }
        for f in files
    ]


def batch_files(
    ctx: Context, batch_ids: Iterable[str | None], sandbox: str, *, what: str
) -> list[ExportFileOutput] | None:
    """The ``files`` output of the given batches, or ``None`` (with a warning about ``what``)
    when they cannot be listed."""
    try:
        return files_output(ctx.client().export_files(batch_ids, sandbox=sandbox))
    except AepError as exc:
        ctx.log.warn(f"{what} SUCCEEDED but its files could not be listed: {exc}")
        return None


class FileListings:
    """Each job's ``files``, listed in the background from the moment a wait sees the job
    SUCCEEDED, so that the listings of many jobs overlap the wait for the last ones instead of
    following it. :meth:`collect` gives them all (``None``, with a warning, when any cannot be
    listed). It holds the listings in flight; each call that lists takes the context."""

    def __init__(self, sandbox: str, at_once: int | None = None) -> None:
        self.sandbox = sandbox
        self._pool = ThreadPoolExecutor(
            max_workers=at_once or FILE_LISTINGS_AT_ONCE,
            thread_name_prefix="aep-files",
        )
        self._listed: dict[str, Future[list[ExportFile]]] = {}

    def start(self, ctx: Context, job_id: Any, batch_id: str | None) -> None:
        """List ``job_id``'s files now, in the background (once)."""
        key = str(job_id)
        if batch_id and key not in self._listed:
            self._listed[key] = self._pool.submit(
                ctx.client().export_files, [batch_id], sandbox=self.sandbox
            )

    def collect(
        self, ctx: Context, batch_ids: Mapping[str, Any]
    ) -> dict[str, list[ExportFileOutput]] | None:
        """Every job's files (``batch_ids``: job id -> batch id), those not started yet too."""
        try:
            for job_id, batch_id in batch_ids.items():
                self.start(ctx, job_id, batch_id)
            return {
                job_id: files_output(self._listed[str(job_id)].result())
                for job_id, batch_id in batch_ids.items()
                if batch_id
            }
        except AepError as exc:
            ctx.log.warn(f"the exports SUCCEEDED but their files could not be listed: {exc}")
            return None
        finally:
            self.close()

    def close(self) -> None:
        """Drop what has not started (a wait that failed needs no files)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def files_by_job(
    ctx: Context, batch_ids: Mapping[str, Any], sandbox: str
) -> dict[str, list[ExportFileOutput]] | None:
    """Each job's ``files`` (``batch_ids``: job id -> batch id), a few listings at once; ``None``
    (with a warning) when any cannot be listed."""
    return FileListings(sandbox, ctx.requests_at_once).collect(ctx, batch_ids)
