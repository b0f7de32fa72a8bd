"""Data Access (``/data/foundation/export``): an export's files, their parts, and their bytes.

AEP writes an export into the Data Lake as Parquet: a batch holds one or more dataset files,
each of one or more parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import requests

from ..errors import AepResponseError
from .ids import path_object_id
from .transport import Transport

DATA_ACCESS = "/data/foundation/export"


class ExportPart(NamedTuple):
    """One part of a dataset file."""

    name: str
    size: int | None


class ExportFile(NamedTuple):
    """One dataset file of an export batch."""

    batch_id: str
    file_id: str
    records: int | None
    size: int | None
    parts: list[ExportPart]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class DataAccessApi:
    """Export files (mixed into :class:`~aep_pulumi.aep.client.AepClient`)."""

    transport: Transport

    def data_access_pages(
        self, path: str, *, operation: str, sandbox: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The ``data`` of each page of a Data Access listing, following ``_links.next``."""
        base = f"{DATA_ACCESS}{path}"
        params: dict[str, Any] = {}
        for _ in range(10_000):
            body = self.transport.json(
                self.transport.request(
                    "GET", base, operation=operation, params=params, sandbox=sandbox
                ),
                operation,
            )
            data = body.get("data") if isinstance(body, Mapping) else None
            yield [dict(item) for item in data or [] if isinstance(item, Mapping)]
            links = body.get("_links") if isinstance(body, Mapping) else None
            next_href = (
                ((links or {}).get("next") or {}).get("href")
                if isinstance(links, Mapping)
                else None
            )
            if not next_href or not data:
                return
            parts = urlsplit(str(next_href))
            endpoint_host = urlsplit(self.transport.settings.endpoint).netloc
            if parts.path.rstrip("/") != base.rstrip("/") or (
                parts.netloc and parts.netloc != endpoint_host
            ):
                raise AepResponseError(
                    f"refusing to follow unexpected next link {str(next_href)[:80]!r}",
                    operation=operation,
                )
            params = dict(parse_qsl(parts.query))

    def list_batch_files(
        self, batch_id: str, *, sandbox: str | None = None
    ) -> list[dict[str, Any]]:
        """``GET /batches/{batchId}/files``, every page."""
        bid = path_object_id(batch_id, "batch")
        op = f"list files of batch {bid}"
        return [
            item
            for page in self.data_access_pages(
                f"/batches/{bid}/files", operation=op, sandbox=sandbox
            )
            for item in page
        ]

    def list_file_parts(self, file_id: str, *, sandbox: str | None = None) -> list[dict[str, Any]]:
        """``GET /files/{dataSetFileId}``: the named parts of one dataset file, every page."""
        fid = path_object_id(file_id, "file")
        op = f"list parts of file {fid}"
        return [
            item
            for page in self.data_access_pages(f"/files/{fid}", operation=op, sandbox=sandbox)
            for item in page
        ]

    def export_files(
        self, batch_ids: Iterable[str | None], *, sandbox: str | None = None
    ) -> list[ExportFile]:
        """Every dataset file (and its parts) of the given batches (``None`` and repeated ids
        are skipped)."""
        found: list[ExportFile] = []
        for batch_id in [b for b in dict.fromkeys(batch_ids) if b]:
            for entry in self.list_batch_files(batch_id, sandbox=sandbox):
                file_id = str(entry.get("dataSetFileId") or "")
                if not file_id:
                    continue
                parts = [
                    ExportPart(str(p.get("name")), _int(p.get("length")))
                    for p in self.list_file_parts(file_id, sandbox=sandbox)
                    if p.get("name")
                ]
                found.append(
                    ExportFile(
                        batch_id,
                        file_id,
                        _int(entry.get("records")),
                        _int(entry.get("size")),
                        parts,
                    )
                )
        return found

    def open_file_part(
        self, file_id: str, path: str, *, start: int = 0, sandbox: str | None = None
    ) -> requests.Response:
        """``GET /files/{dataSetFileId}?path=...`` as a stream, from byte ``start`` (``Range``).

        The caller iterates the body and closes the response.
        """
        fid = path_object_id(file_id, "file")
        headers = {"Accept": "application/octet-stream"}
        if start:
            headers["Range"] = f"bytes={int(start)}-"
        return self.transport.request(
            "GET",
            f"{DATA_ACCESS}/files/{fid}",
            operation=f"download {fid}/{path}",
            params={"path": path},
            sandbox=sandbox,
            extra_headers=headers,
            stream=True,
        )
