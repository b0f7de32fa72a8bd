"""The ``files`` output of jobs and waits: an export's dataset files and their parts.

One listing per batch and one per file (Data Access), once the export SUCCEEDED. A failure only
costs the output, with a warning: the export itself happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..errors import AepError
from .context import Context

if TYPE_CHECKING:
    from ..aep.data_access import ExportFile

# File listings in flight at once for a wait (AEP throttles; the client honours its 429s).
FILE_LISTINGS_AT_ONCE = 8


def files_output(files: Sequence[ExportFile]) -> list[dict[str, Any]]:
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
) -> list[dict[str, Any]] | None:
    """The ``files`` output of the given batches, or ``None`` (with a warning about ``what``)
    when they cannot be listed."""
    try:
        return files_output(ctx.client().export_files(batch_ids, sandbox=sandbox))
    except AepError as exc:
        ctx.log.warn(f"{what} SUCCEEDED but its files could not be listed: {exc}")
        return None


def files_by_job(ctx: Context, batch_ids: Mapping[str, Any], sandbox: str) -> dict[str, Any] | None:
    """Each job's ``files`` (``batch_ids``: job id -> batch id), a few listings at once; ``None``
    (with a warning) when any cannot be listed."""
    jobs = [(job_id, batch) for job_id, batch in batch_ids.items() if batch]
    client = ctx.client()

    def listed(job: tuple[str, str]) -> tuple[str, Any]:
        return job[0], files_output(client.export_files([job[1]], sandbox=sandbox))

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(FILE_LISTINGS_AT_ONCE, len(jobs)))) as pool:
            return dict(pool.map(listed, jobs))
    except AepError as exc:
        ctx.log.warn(f"the exports SUCCEEDED but their files could not be listed: {exc}")
        return None
