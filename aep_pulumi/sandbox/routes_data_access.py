"""Data Access: an export's files and their bytes, under ``/data/foundation/export``."""

from __future__ import annotations

import os
from typing import Any

from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from .parts import AppParts
from .responses import gateway_error, json_response

EXPORT = "/data/foundation/export"


class DataAccessRoutes(AppParts):
    """Batch files, file parts and downloads (mixed into :class:`~.app.SandboxApp`)."""

    def _page_of(self, request: Request, items: list[Any]) -> tuple[list[Any], str | None]:
        """Data Access paging: ``start``/``limit`` (at most the page size); the next page's
        link, or ``None`` on the last page."""
        size = max(1, int(self.config.data_access_page_size))
        try:
            start = max(0, int(request.args.get("start", 0) or 0))
            limit = max(1, min(int(request.args.get("limit", size) or size), size))
        except ValueError:
            return [], None
        page = items[start : start + limit]
        if start + limit >= len(items):
            return page, None
        base = request.host_url.rstrip("/") + request.path
        return page, f"{base}?start={start + limit}&limit={limit}"

    def batch_files(
        self, request: Request, *, sandbox: str, client_id: str, batch_id: str
    ) -> Response:
        if self.store.batch_view(sandbox, batch_id, request.headers["x-gw-ims-org-id"]) is None:
            return gateway_error(404, "404", f"batch {batch_id} not found")
        with self.store.lock:
            space = self.store.space(sandbox)
            files = sorted((fid, f) for fid, f in space.files.items() if f["batchId"] == batch_id)
        page, next_link = self._page_of(request, files)
        base = request.host_url.rstrip("/")
        now = str(self.store.now_ms())
        data = [
            {
                "dataSetFileId": fid,
                "dataSetViewId": batch_id[:24],
                "version": "1.0.0",
                "created": now,
                "updated": now,
                "records": str(f["records"]),
                "size": str(f["size"]),
                "isValid": True,
                "_links": {"self": {"href": f"{base}{EXPORT}/files/{fid}"}},
            }
            for fid, f in page
        ]
        links = {"next": {"href": next_link}} if next_link else {}
        return json_response(
            {"data": data, "_page": {"limit": len(page), "count": len(files)}, "_links": links}
        )

    def file(self, request: Request, *, sandbox: str, client_id: str, file_id: str) -> Response:
        with self.store.lock:
            record = self.store.space(sandbox).files.get(file_id)
        if record is None:
            return gateway_error(404, "404", f"file {file_id} not found")
        path = request.args.get("path")
        parts = record["parts"]
        if path is None:
            page, next_link = self._page_of(request, parts)
            base = request.host_url.rstrip("/")
            links = {"next": {"href": next_link}} if next_link else {}
            return json_response(
                {
                    "data": [
                        {
                            "name": part["name"],
                            "length": str(part["length"]),
                            "_links": {
                                "self": {
                                    "href": f"{base}{EXPORT}/files/{file_id}?path={part['name']}"
                                }
                            },
                        }
                        for part in page
                    ],
                    "_page": {"limit": len(page), "count": len(parts)},
                    "_links": links,
                }
            )
        part = next((p for p in parts if p["name"] == path), None)
        if part is None:
            return gateway_error(404, "404", f"no file {path!r} in {file_id}")
        # Served in 1 MiB blocks (werkzeug's send_file reads 8 KiB at a time, which makes the
        # sandbox, not the client, the bottleneck of a large download).
        handle = open(part["path"], "rb")  # noqa: SIM115 - closed by the WSGI server
        size = os.fstat(handle.fileno()).st_size
        response = Response(
            wrap_file(request.environ, handle, buffer_size=1 << 20),
            mimetype="application/octet-stream",
            direct_passthrough=True,
        )
        response.content_length = size  # a Range request narrows it to the range
        response = response.make_conditional(request, accept_ranges=True, complete_length=size)
        return response
