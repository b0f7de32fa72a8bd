"""Profile export jobs (``/data/core/ups/export/jobs``): submit, read, cancel, list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import AepNotFoundError, AepResponseError
from .ids import path_job_id
from .models import ExportJob, ExportJobList, ExportJobRequest, parse_model
from .transport import Transport

UPS = "/data/core/ups"


def next_page_query(page: ExportJobList) -> dict[str, str]:
    """The query of ``page``'s ``link.next`` (empty at the end). A link that leaves the export
    jobs path is refused rather than followed."""
    next_link = page.next_link
    if not next_link or not page.records:
        return {}
    parts = urlsplit(next_link)
    if parts.scheme or parts.netloc or not parts.path.rstrip("/").endswith("/export/jobs"):
        raise AepResponseError(
            f"refusing to follow unexpected link.next {next_link[:80]!r}",
            operation="list export jobs",
        )
    return dict(parse_qsl(parts.query))


def next_page_offset(page: ExportJobList) -> str | None:
    """The cursor of the page after ``page`` (from its ``link.next``), or None at the end.

    The cursor is opaque: it is only ever handed back to the API.
    """
    return next_page_query(page).get("offset") or None


class ExportJobsApi:
    """Export jobs (mixed into :class:`~aep_pulumi.aep.client.AepClient`)."""

    transport: Transport

    def create_export_job(
        self,
        body: ExportJobRequest,
        *,
        sandbox: str | None = None,
        request_id: str | None = None,
    ) -> ExportJob:
        """``POST /export/jobs``; AEP answers 200 with the new job (status NEW).

        ``request_id`` goes out as ``x-request-id``; a job record that carries it back as
        ``requestId`` is provably this request's (AEP does not document that it does)."""
        op = "create export job"
        response = self.transport.request(
            "POST",
            f"{UPS}/export/jobs",
            operation=op,
            json=body.to_api(),
            sandbox=sandbox,
            extra_headers={"x-request-id": request_id} if request_id else None,
        )
        try:
            job: ExportJob = parse_model(ExportJob, self.transport.json(response, op), op)
        except AepResponseError as exc:
            # AEP said 200: the job was submitted even though the answer could not be read.
            exc.maybe_applied = True
            raise
        return job

    def get_export_job(self, job_id: int | str, *, sandbox: str | None = None) -> ExportJob:
        """``GET /export/jobs/{id}``; raises :class:`AepNotFoundError` when unknown."""
        jid = path_job_id(job_id)
        op = f"get export job {jid}"
        response = self.transport.request(
            "GET", f"{UPS}/export/jobs/{jid}", operation=op, sandbox=sandbox
        )
        job: ExportJob = parse_model(ExportJob, self.transport.json(response, op), op)
        return job

    def cancel_export_job(self, job_id: int | str, *, sandbox: str | None = None) -> bool:
        """``DELETE /export/jobs/{id}`` (cancels or deletes); False when it was already gone."""
        jid = path_job_id(job_id)
        try:
            self.transport.request(
                "DELETE",
                f"{UPS}/export/jobs/{jid}",
                operation=f"cancel export job {jid}",
                sandbox=sandbox,
            )
        except AepNotFoundError:
            return False
        return True

    def list_export_jobs_page(
        self,
        *,
        sandbox: str | None = None,
        limit: int | None = None,
        offset: str | None = None,
        status: str | None = None,
    ) -> ExportJobList:
        """One page of ``GET /export/jobs``."""
        op = "list export jobs"
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = int(limit)
        if offset:
            params["offset"] = offset
        if status:
            params["status"] = status
        response = self.transport.request(
            "GET", f"{UPS}/export/jobs", operation=op, params=params, sandbox=sandbox
        )
        page: ExportJobList = parse_model(ExportJobList, self.transport.json(response, op), op)
        return page

    def iter_export_job_pages(
        self,
        *,
        sandbox: str | None = None,
        limit: int = 50,
        status: str | None = None,
        max_pages: int = 1000,
        offset: str | None = None,
    ) -> Iterator[ExportJobList]:
        """Pages of ``GET /export/jobs``, newest first, following ``link.next`` cursors.

        ``offset`` starts the walk at a cursor an earlier page's ``link.next`` gave (see
        :func:`next_page_offset`) instead of at the newest job.
        """
        for _ in range(max_pages):
            page = self.list_export_jobs_page(
                sandbox=sandbox, limit=limit, offset=offset, status=status
            )
            yield page
            query = next_page_query(page)
            new_offset = query.get("offset") or None
            if new_offset is None or new_offset == offset:
                return
            offset = new_offset
            if query.get("limit", "").isdigit():
                limit = int(query["limit"])

    def iter_export_jobs(
        self,
        *,
        sandbox: str | None = None,
        limit: int = 50,
        status: str | None = None,
        max_pages: int = 1000,
    ) -> Iterator[ExportJob]:
        """Every export job, newest first, following ``link.next`` cursors."""
        for page in self.iter_export_job_pages(
            sandbox=sandbox, limit=limit, status=status, max_pages=max_pages
        ):
            yield from page.records
