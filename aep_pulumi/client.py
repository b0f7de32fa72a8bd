"""``AepClient``: the one place that speaks HTTP to AEP.

One ``requests.Session`` (connection pooling, thread-safe for our use), AEP's headers on every
call, an explicit timeout on every call, and retries that never risk a duplicate:

* GET, PATCH and DELETE are retried on 429, 5xx and connection errors, with capped exponential
  backoff and jitter, honouring ``Retry-After`` and a body ``retryAfterMs``.
* POST is retried only on 429 (AEP did not process it) or when the connection failed before the
  request was sent. A read timeout, a dropped connection or a 5xx after the body went out raise
  at once, because the object may exist.

The retry loop is written here rather than delegated to urllib3's ``Retry`` or tenacity because
both rules above depend on AEP specifics those libraries cannot see: the throttling delay lives
in the JSON body, and the POST rule needs to know whether the request ever left the machine.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import urllib3.exceptions
from pydantic import BaseModel, ValidationError

from . import __version__
from .auth import ImsClientCredentials, StaticToken, TokenSource
from .errors import (
    AepAmbiguousResultError,
    AepConnectionError,
    AepError,
    AepNotFoundError,
    AepResponseError,
    AepServerError,
    error_from_response,
    response_json,
)
from .ids import JOB_ID, dataset_id_problem
from .models import (
    DatasetCreateRequest,
    DatasetRecord,
    ExportJob,
    ExportJobList,
    ExportJobRequest,
)
from .settings import AepSettings

log = logging.getLogger("aep_pulumi.client")

CATALOG = "/data/foundation/catalog"
UPS = "/data/core/ups"
DATA_ACCESS = "/data/foundation/export"

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_SERVER_DELAY = 120.0


def dataset_path_id(value: Any) -> str:
    """Validate a dataset id before it enters a URL path (no ``/``, ``?``, ``..``)."""
    text = str(value)
    if dataset_id_problem(text):
        raise AepError(f"invalid dataset id {text[:80]!r}: expected letters, digits, '-', '_', '.'")
    return text


def job_path_id(value: Any) -> str:
    """Validate an export job id (a whole number) before it enters a URL path."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not JOB_ID.match(text):
        raise AepError(f"invalid export job id {text[:80]!r}: expected a whole number")
    return text


def batch_path_id(value: Any) -> str:
    """Validate a batch id before it enters a URL path."""
    text = str(value)
    if dataset_id_problem(text):  # batch and file ids follow the same rule
        raise AepError(f"invalid batch id {text[:80]!r}")
    return text


def dataset_id_from_ref(ref: str) -> str:
    """``"@/dataSets/<id>"`` or ``"@/datasets/<id>"`` -> ``<id>``."""
    text = ref.strip()
    match = re.match(r"^@?/?datasets/([^/?#]+)$", text, flags=re.IGNORECASE)
    if not match:
        raise AepResponseError(f"unexpected dataset reference {text[:80]!r}")
    return dataset_path_id(match.group(1))


def _request_was_never_sent(exc: requests.RequestException) -> bool:
    """True when the connection failed before any byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason: Any = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(
            reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
        )
    return False


def _server_delay(response: requests.Response) -> float | None:
    """The wait AEP asked for, from ``Retry-After`` or a body ``retryAfterMs``."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(header) if header else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    body = response_json(response)
    if isinstance(body, Mapping) and body.get("retryAfterMs") is not None:
        try:
            return max(0.0, float(body["retryAfterMs"]) / 1000.0)
        except (TypeError, ValueError):
            return None
    return None


def _parse(model: type[BaseModel], body: Any, operation: str) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise AepResponseError(
            f"unexpected response body ({where}: {first['msg']})", operation=operation
        ) from None


class AepClient:
    """A synchronous client for the Catalog, export-job and Data Access APIs of AEP.

    ``sandbox`` arguments override the configured sandbox for one call.
    """

    def __init__(
        self,
        settings: AepSettings,
        *,
        session: requests.Session | None = None,
        token_source: TokenSource | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        # TLS verification is never turned off. (Proxy and CA-bundle environment variables
        # still apply: they change where trust comes from, not whether it is checked.)
        self.session.verify = True
        self._sleep = sleep
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        if token_source is not None:
            self.tokens: TokenSource = token_source
        elif settings.access_token:
            self.tokens = StaticToken(settings.access_token)
        else:
            assert settings.client_id and settings.client_secret
            self.tokens = ImsClientCredentials(
                self.session,
                settings.ims_endpoint,
                settings.client_id,
                settings.client_secret,
                settings.scopes,
                timeout=settings.http_timeout,
            )
        self.request_count = 0
        # AEP's clock minus ours, in ms, from the last `Date` header (None until one is seen).
        self.server_clock_offset_ms: int | None = None

    def __repr__(self) -> str:
        return f"AepClient(endpoint={self.settings.endpoint!r}, org={self.settings.org_id!r})"

    def __reduce__(self) -> Any:
        raise TypeError("AepClient holds credentials and must not be pickled")

    # ------------------------------------------------------------ transport

    def _headers(self, token: str, sandbox: str | None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "x-api-key": self.settings.api_key,
            "x-gw-ims-org-id": self.settings.org_id,
            "x-sandbox-name": (sandbox or self.settings.sandbox_name).lower(),
            "Accept": "application/json",
            "User-Agent": f"aep-pulumi/{__version__}",
        }

    def _backoff(self, attempt: int, response: requests.Response | None) -> float:
        suggested = _server_delay(response) if response is not None else None
        if suggested is not None:
            return min(suggested, _MAX_SERVER_DELAY)
        ceiling = min(self._backoff_cap, self._backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        sandbox: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one logical request (with retries) and return the 2xx response.

        Non-2xx answers raise the matching :class:`AepError` subclass. With ``stream`` the body
        is left unread (the caller iterates it and closes the response).
        """
        method = method.upper()
        url = self.settings.endpoint + path
        timeout = (min(10.0, self.settings.http_timeout), self.settings.http_timeout)
        attempt = 0
        renewed_token = False
        while True:
            token = self.tokens.token()
            headers = self._headers(token, sandbox)
            if extra_headers:
                headers.update(extra_headers)
            started = time.monotonic()
            self.request_count += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=timeout,
                    stream=stream,
                )
            except requests.RequestException as exc:
                never_sent = _request_was_never_sent(exc)
                log.debug("%s %s failed: %s", method, path, type(exc).__name__)
                if method == "POST" and not never_sent:
                    raise AepAmbiguousResultError(
                        f"no answer ({type(exc).__name__}); the request may or may not have been "
                        "applied, so it was not retried",
                        operation=operation,
                    ) from None
                if attempt < self.settings.max_retries:
                    self._sleep(self._backoff(attempt, None))
                    attempt += 1
                    continue
                raise AepConnectionError(
                    f"no answer after {attempt + 1} attempts ({type(exc).__name__})",
                    operation=operation,
                ) from None
            elapsed_ms = (time.monotonic() - started) * 1000
            self._note_server_clock(response, started_wall=time.time() - elapsed_ms / 2000)
            log.debug("%s %s -> %s in %.0f ms", method, path, response.status_code, elapsed_ms)
            status = response.status_code
            if status == 401 and not renewed_token and self.tokens.invalidate(token):
                renewed_token = True
                continue
            retryable = status == 429 or (status in _RETRYABLE_STATUS and method != "POST")
            if retryable and attempt < self.settings.max_retries:
                self._sleep(self._backoff(attempt, response))
                attempt += 1
                continue
            if status >= 400:
                error = error_from_response(response, operation)
                if method == "POST" and isinstance(error, AepServerError):
                    error = error.with_message(
                        error.message + " (not retried: the request may have been applied)"
                    )
                    error.maybe_applied = True
                raise error
            return response

    def _note_server_clock(self, response: requests.Response, started_wall: float) -> None:
        """Remember how far AEP's clock is from ours (``Date`` has a one-second resolution)."""
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server = email.utils.parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return
        # The header truncates to the second: its true value lies in [server, server + 1).
        self.server_clock_offset_ms = int((server + 0.5 - started_wall) * 1000)

    def server_now_ms(self) -> int:
        """Our best estimate of AEP's clock now, in epoch ms."""
        return int(time.time() * 1000) + (self.server_clock_offset_ms or 0)

    def _json(self, response: requests.Response, operation: str) -> Any:
        if not response.content:
            return None
        body = response_json(response)
        if body is None:
            raise AepResponseError("answer is not JSON", operation=operation)
        return body

    # ------------------------------------------------------------ datasets

    def create_dataset(self, body: DatasetCreateRequest, *, sandbox: str | None = None) -> str:
        """``POST /dataSets``; returns the new dataset id."""
        op = "create dataset"
        response = self.request(
            "POST", f"{CATALOG}/dataSets", operation=op, json=body.to_api(), sandbox=sandbox
        )
        try:
            refs = self._json(response, op)
            if not isinstance(refs, list) or not refs or not isinstance(refs[0], str):
                raise AepResponseError('expected a list like ["@/dataSets/<id>"]', operation=op)
            return dataset_id_from_ref(refs[0])
        except AepResponseError as exc:
            # AEP said 201: the dataset exists even though its id could not be read.
            exc.maybe_applied = True
            raise

    def get_dataset(self, dataset_id: str, *, sandbox: str | None = None) -> DatasetRecord:
        """``GET /dataSets/{id}``; raises :class:`AepNotFoundError` when it does not exist."""
        ds = dataset_path_id(dataset_id)
        op = f"get dataset {ds}"
        body = self._json(
            self.request("GET", f"{CATALOG}/dataSets/{ds}", operation=op, sandbox=sandbox), op
        )
        if not isinstance(body, Mapping):
            raise AepResponseError("expected an object keyed by dataset id", operation=op)
        record = body.get(ds)
        if record is None:
            if not body:
                raise AepNotFoundError(f"dataset {ds} does not exist", status=200, operation=op)
            record = next(iter(body.values()))
        result: DatasetRecord = _parse(DatasetRecord, record, op)
        return result

    def list_datasets(
        self,
        *,
        sandbox: str | None = None,
        name: str | None = None,
        tags: str | None = None,
        page_size: int = 100,
    ) -> dict[str, DatasetRecord]:
        """``GET /dataSets`` with filters, following ``start`` pages."""
        op = "list datasets"
        found: dict[str, DatasetRecord] = {}
        start = 0
        while True:
            params: dict[str, Any] = {"limit": page_size, "start": start}
            if name is not None:
                params["name"] = name
            if tags is not None:
                params["tags"] = tags
            body = self._json(
                self.request(
                    "GET", f"{CATALOG}/dataSets", operation=op, params=params, sandbox=sandbox
                ),
                op,
            )
            if not isinstance(body, Mapping):
                raise AepResponseError("expected an object keyed by dataset id", operation=op)
            for key, record in body.items():
                found[str(key)] = _parse(DatasetRecord, record, op)
            if len(body) < page_size:
                return found
            start += len(body)

    def update_dataset(
        self, dataset_id: str, changes: Mapping[str, Any], *, sandbox: str | None = None
    ) -> None:
        """``PATCH /dataSets/{id}`` with a plain JSON object of the changed fields."""
        ds = dataset_path_id(dataset_id)
        self.request(
            "PATCH",
            f"{CATALOG}/dataSets/{ds}",
            operation=f"update dataset {ds}",
            json=dict(changes),
            sandbox=sandbox,
        )

    def delete_dataset(self, dataset_id: str, *, sandbox: str | None = None) -> bool:
        """``DELETE /dataSets/{id}``; False when it was already gone (404, or 200 with ``[]``)."""
        ds = dataset_path_id(dataset_id)
        op = f"delete dataset {ds}"
        try:
            response = self.request(
                "DELETE", f"{CATALOG}/dataSets/{ds}", operation=op, sandbox=sandbox
            )
        except AepNotFoundError:
            return False
        body = response_json(response)
        return not (isinstance(body, list) and not body)

    def get_batch(self, batch_id: str, *, sandbox: str | None = None) -> dict[str, Any]:
        """``GET /batches/{id}`` of Catalog: the batch record (``status``...)."""
        bid = batch_path_id(batch_id)
        op = f"get batch {bid}"
        body = self._json(
            self.request("GET", f"{CATALOG}/batches/{bid}", operation=op, sandbox=sandbox), op
        )
        record = body.get(bid) if isinstance(body, Mapping) else None
        if record is None and isinstance(body, Mapping) and len(body) == 1:
            record = next(iter(body.values()))
        if not isinstance(record, Mapping):
            raise AepNotFoundError(f"batch {bid} does not exist", status=200, operation=op)
        return dict(record)

    # ------------------------------------------------------------ export jobs

    def create_export_job(self, body: ExportJobRequest, *, sandbox: str | None = None) -> ExportJob:
        """``POST /export/jobs``; AEP answers 200 with the new job (status NEW)."""
        op = "create export job"
        response = self.request(
            "POST", f"{UPS}/export/jobs", operation=op, json=body.to_api(), sandbox=sandbox
        )
        try:
            job: ExportJob = _parse(ExportJob, self._json(response, op), op)
        except AepResponseError as exc:
            # AEP said 200: the job was submitted even though the answer could not be read.
            exc.maybe_applied = True
            raise
        return job

    def get_export_job(self, job_id: int | str, *, sandbox: str | None = None) -> ExportJob:
        """``GET /export/jobs/{id}``; raises :class:`AepNotFoundError` when unknown."""
        jid = job_path_id(job_id)
        op = f"get export job {jid}"
        response = self.request("GET", f"{UPS}/export/jobs/{jid}", operation=op, sandbox=sandbox)
        job: ExportJob = _parse(ExportJob, self._json(response, op), op)
        return job

    def cancel_export_job(self, job_id: int | str, *, sandbox: str | None = None) -> bool:
        """``DELETE /export/jobs/{id}`` (cancels or deletes); False when it was already gone."""
        jid = job_path_id(job_id)
        try:
            self.request(
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
        response = self.request(
            "GET", f"{UPS}/export/jobs", operation=op, params=params, sandbox=sandbox
        )
        page: ExportJobList = _parse(ExportJobList, self._json(response, op), op)
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
            query = _next_page_query(page)
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

    # ------------------------------------------------------------ data access

    def data_access_pages(
        self, path: str, *, operation: str, sandbox: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The ``data`` of each page of a Data Access listing, following ``_links.next``."""
        base = f"{DATA_ACCESS}{path}"
        params: dict[str, Any] = {}
        for _ in range(10_000):
            body = self._json(
                self.request("GET", base, operation=operation, params=params, sandbox=sandbox),
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
            if parts.path.rstrip("/") != base.rstrip("/") or (
                parts.netloc and parts.netloc != urlsplit(self.settings.endpoint).netloc
            ):
                raise AepResponseError(
                    f"refusing to follow unexpected next link {str(next_href)[:80]!r}",
                    operation=operation,
                )
            params = dict(parse_qsl(parts.query))

    def list_batch_files(
        self, batch_id: str, *, sandbox: str | None = None
    ) -> list[dict[str, Any]]:
        """``GET /batches/{batchId}/files`` of the Data Access API, every page."""
        bid = batch_path_id(batch_id)
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
        fid = batch_path_id(file_id)
        op = f"list parts of file {fid}"
        return [
            item
            for page in self.data_access_pages(f"/files/{fid}", operation=op, sandbox=sandbox)
            for item in page
        ]

    def open_file_part(
        self, file_id: str, path: str, *, start: int = 0, sandbox: str | None = None
    ) -> requests.Response:
        """``GET /files/{dataSetFileId}?path=...`` as a stream, from byte ``start`` (``Range``).

        The caller iterates ``iter_content`` and closes the response.
        """
        fid = batch_path_id(file_id)
        headers = {"Accept": "application/octet-stream"}
        if start:
            headers["Range"] = f"bytes={int(start)}-"
        return self.request(
            "GET",
            f"{DATA_ACCESS}/files/{fid}",
            operation=f"download {fid}/{path}",
            params={"path": path},
            sandbox=sandbox,
            extra_headers=headers,
            stream=True,
        )

    def download_file(
        self, file_id: str, path: str, *, sandbox: str | None = None, byte_range: str | None = None
    ) -> bytes:
        """One part's bytes in memory (small files only; use :mod:`aep_pulumi.exports` to
        stream exports to disk)."""
        fid = batch_path_id(file_id)
        headers = (
            {"Range": byte_range, "Accept": "application/octet-stream"}
            if byte_range
            else {"Accept": "application/octet-stream"}
        )
        response = self.request(
            "GET",
            f"{DATA_ACCESS}/files/{fid}",
            operation=f"download file {fid}",
            params={"path": path},
            sandbox=sandbox,
            extra_headers=headers,
        )
        return response.content


def _next_page_query(page: ExportJobList) -> dict[str, str]:
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
    return _next_page_query(page).get("offset") or None
