"""Profile export jobs: ``/export/jobs`` under ``/data/core/ups``."""

from __future__ import annotations

from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from .parts import AppParts
from .responses import json_response, ups_error

UPS = "/data/core/ups"


def _cursor(offset: str) -> tuple[int, int] | None:
    """The opaque ``offset`` cursor ``<createdMs>_<id>``; ``None`` when it is not one."""
    created, _, last_id = offset.partition("_")
    try:
        return (int(created), int(last_id))
    except ValueError:
        return None


class ExportJobRoutes(AppParts):
    """Submit, list, read and cancel jobs (mixed into :class:`~.app.SandboxApp`)."""

    def jobs(self, request: Request, *, sandbox: str, client_id: str) -> Response:
        if request.method == "POST":
            return self._submit(request, sandbox)
        try:
            limit = int(request.args.get("limit", 20))
        except ValueError:
            return ups_error(400, "Bad Request", "limit must be a whole number")
        limit = max(1, min(limit, 100))
        status = request.args.get("status")
        offset = request.args.get("offset")
        cursor = _cursor(offset) if offset else None
        if offset and cursor is None:
            return ups_error(400, "Bad Request", f"invalid offset {offset[:40]!r}")
        page, more = self.store.list_jobs_page(sandbox, limit=limit, before=cursor, status=status)
        page_offset = f"{page[-1]['creationTime']}_{page[-1]['id']}" if page else ""
        next_link = f"/export/jobs/?limit={limit}&offset={quote(page_offset)}" if more else ""
        if more and status:
            next_link += f"&status={quote(status)}"
        return json_response(
            {
                "records": page,
                "page": {
                    "sortField": "createdTime",
                    "sort": "desc",
                    "pageOffset": page_offset,
                    "pageSize": len(page),
                },
                "link": {"next": next_link},
            }
        )

    def _submit(self, request: Request, sandbox: str) -> Response:
        body = self.body_of(request)
        if not isinstance(body, dict):
            return ups_error(400, "Bad Request", "body must be a JSON object")
        dataset_id = (body.get("destination") or {}).get("datasetId")
        if not dataset_id:
            return ups_error(400, "Bad Request", "destination.datasetId is required", "UPS-400-010")
        if not (body.get("schema") or {}).get("name"):
            return ups_error(400, "Bad Request", "schema.name is required", "UPS-400-011")
        if self.config.require_existing_dataset and self.store.dataset(sandbox, dataset_id) is None:
            return ups_error(
                422,
                "Unprocessable Entity",
                f"dataset {dataset_id} does not exist in sandbox {sandbox}",
                "UPS-422-004",
            )
        job = self.store.create_job(
            sandbox,
            body,
            request.headers["x-gw-ims-org-id"],
            self.rng.random(),
            request.headers.get("x-request-id"),
        )
        return json_response(job, 200, {"X-Location": f"{UPS}/export/jobs/{job['id']}"})

    def job(self, request: Request, *, sandbox: str, client_id: str, job_id: str) -> Response:
        if not job_id.isascii() or not job_id.isdigit():
            return ups_error(400, "Bad Request", f"invalid export job id {job_id[:40]!r}")
        jid = int(job_id)
        if request.method == "DELETE":
            if not self.store.delete_job(sandbox, jid):
                return ups_error(404, "Not Found", f"export job {jid} not found", "UPS-404-001")
            return json_response(
                {"status": True, "message": "Export job has been marked for cancelling"}
            )
        view = self.store.job_view(sandbox, jid)
        if view is None:
            return ups_error(404, "Not Found", f"export job {jid} not found", "UPS-404-001")
        return json_response(view)
