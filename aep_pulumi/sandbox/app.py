"""The sandbox WSGI application: AEP's URL layout, gateway checks, spec validation, faults.

The same app serves real HTTP (``aep-sandbox``, the ``aep_sandbox`` fixture) and in-process
``responses`` routing (``aep_sandbox_inprocess``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from .faults import FaultPlan, FaultRates, ScriptedFault
from .specs import SpecValidator, load_validator
from .store import SandboxConfig, Store

log = logging.getLogger("aep_pulumi.sandbox")

UPS = "/data/core/ups"
CATALOG = "/data/foundation/catalog"
EXPORT = "/data/foundation/export"
ADMIN = "/_sandbox"


class DropConnection(ConnectionError):
    """Raised by the app to make the server close the socket without answering."""


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def _as_bytes(body: Iterable[str | bytes]) -> Iterator[bytes]:
    """A WSGI body's chunks as bytes."""
    for piece in body:
        yield piece.encode() if isinstance(piece, str) else piece


def gateway_error(status: int, code: str, message: str) -> Response:
    return _json({"error_code": code, "message": message}, status)


def catalog_error(status: int, title: str, detail: str) -> Response:
    return _json(
        {
            "type": f"http://ns.adobe.com/aep/errors/CAT-{status}",
            "title": title,
            "status": status,
            "detail": detail,
            "report": {"requestId": uuid.uuid4().hex},
        },
        status,
    )


def ups_error(status: int, title: str, message: str, code: str = "UPS-400-001") -> Response:
    return _json(
        {
            "requestId": uuid.uuid4().hex,
            "errors": [{"code": code, "message": message}],
            "type": "http://ns.adobe.com/aep/errors/UPS",
            "title": title,
            "status": status,
        },
        status,
    )


_URLS = Map(
    [
        Rule("/ims/token/v3", endpoint="ims_token", methods=["POST"]),
        Rule(f"{CATALOG}/dataSets", endpoint="datasets", methods=["GET", "POST"]),
        Rule(
            f"{CATALOG}/dataSets/<dataset_id>",
            endpoint="dataset",
            methods=["GET", "PATCH", "DELETE"],
        ),
        Rule(f"{CATALOG}/batches/<batch_id>", endpoint="batch", methods=["GET"]),
        Rule(f"{UPS}/export/jobs", endpoint="jobs", methods=["GET", "POST"], strict_slashes=False),
        Rule(f"{UPS}/export/jobs/<job_id>", endpoint="job", methods=["GET", "DELETE"]),
        Rule(f"{EXPORT}/batches/<batch_id>/files", endpoint="batch_files", methods=["GET"]),
        Rule(f"{EXPORT}/files/<file_id>", endpoint="file", methods=["GET"]),
        Rule(f"{ADMIN}/state", endpoint="admin_state", methods=["GET"]),
        Rule(f"{ADMIN}/reset", endpoint="admin_reset", methods=["POST"]),
        Rule(f"{ADMIN}/config", endpoint="admin_config", methods=["GET", "POST"]),
        Rule(f"{ADMIN}/faults", endpoint="admin_faults", methods=["GET", "POST", "DELETE"]),
        Rule(f"{ADMIN}/tokens/expire", endpoint="admin_expire_tokens", methods=["POST"]),
        Rule(f"{ADMIN}/jobs/<int:job_id>/forget", endpoint="admin_forget_job", methods=["POST"]),
    ]
)


class SandboxApp:
    """A WSGI app that behaves like the parts of AEP this project uses."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        openapi_dir: Path | None = None,
        validate_responses: bool = True,
        state_file: Path | None = None,
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.time,
        seed: int = 7,
    ) -> None:
        self.store = Store(config, state_file=state_file, clock=clock)
        self.validator: SpecValidator | None = load_validator(openapi_dir)
        self.openapi_dir = openapi_dir if self.validator is not None else None
        self.validate_responses = validate_responses
        self.faults = faults or FaultPlan(seed=seed)
        self.violations: list[str] = []
        self.request_log: list[dict[str, Any]] = []
        # Export file bytes sent (after Range): what a download really fetched.
        self.bytes_served = 0
        self._count_lock = threading.Lock()
        self._rng = random.Random(seed)

    @property
    def config(self) -> SandboxConfig:
        return self.store.config

    # ------------------------------------------------------------ WSGI plumbing

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        response = self.handle(request, environ)
        elapsed_ms = (time.monotonic() - started) * 1000
        # Never log headers or query strings: they may carry credentials.
        entry = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round(elapsed_ms, 1),
        }
        self.request_log.append(entry)
        log.info("%s %s %s %.0fms", request.method, request.path, response.status_code, elapsed_ms)
        return response(environ, start_response)

    def handle(self, request: Request, environ: dict[str, Any] | None = None) -> Response:
        adapter = _URLS.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return gateway_error(404, "404", f"no route for {request.method} {request.path}")
        except HTTPException as exc:
            return gateway_error(exc.code or 405, str(exc.code), exc.description or "not allowed")
        if endpoint.startswith("admin_"):
            admin: Response = getattr(self, endpoint)(request, **args)
            return admin
        # Matched against the path and query, so a fault can aim at downloads (`?path=`).
        fault = self.faults.pick(request.method, request.full_path)
        if fault is not None:
            early = self._apply_fault_before(fault, request, environ)
            if early is not None:
                return early
        if endpoint == "ims_token":
            response = self.ims_token(request)
        else:
            response = self._aep_call(endpoint, dict(args), request)
        if fault is not None and fault.action == "drop_after":
            self._drop(environ)
        if fault is not None and fault.action == "truncate" and response.status_code < 300:
            response = self._truncated(response, environ)
        if response.mimetype == "application/octet-stream" and response.status_code < 300:
            response = self._counted(response)
        if fault is not None and fault.action == "malformed" and response.status_code < 300:
            return Response(
                b'{"records": [ {"id": ', status=response.status_code, mimetype="application/json"
            )
        return response

    def _apply_fault_before(
        self, fault: ScriptedFault, request: Request, environ: dict[str, Any] | None
    ) -> Response | None:
        if fault.action == "latency" or fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.action == "throttle":
            body: dict[str, Any] = {"message": "Too many requests", "statusCode": "429"}
            if fault.retry_after_ms is not None:
                body["retryAfterMs"] = fault.retry_after_ms
            headers = (
                {"Retry-After": f"{fault.retry_after_header:g}"}
                if fault.retry_after_header is not None
                else None
            )
            return _json(body, 429, headers)
        if fault.action == "error":
            return gateway_error(
                fault.status, str(fault.status), "Service temporarily unavailable (injected)"
            )
        if fault.action == "drop_before":
            self._drop(environ)
        if fault.action == "expire_token":
            self.store.expire_tokens()
        return None

    def _truncated(self, response: Response, environ: dict[str, Any] | None) -> Response:
        """Send the headers and half of the body, then close the connection."""
        length = int(response.content_length or 0)
        body = response.response
        sock = (environ or {}).get("werkzeug.socket")

        def half() -> Iterable[bytes]:
            sent = 0
            for chunk in _as_bytes(body):
                keep = chunk[: max(0, length // 2 - sent)]
                if keep:
                    sent += len(keep)
                    yield keep
                if sent >= length // 2:
                    break
            # Let what was sent reach the client before the connection goes (a drop mid-file,
            # not a reset that also loses the headers).
            time.sleep(0.05)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        response.response = half()
        response.direct_passthrough = True
        return response

    def _counted(self, response: Response) -> Response:
        """Count the export bytes really sent (after Range and faults)."""
        body = response.response

        def counting() -> Iterable[bytes]:
            for chunk in _as_bytes(body):
                with self._count_lock:
                    self.bytes_served += len(chunk)
                yield chunk

        response.response = counting()
        response.direct_passthrough = True
        return response

    def close(self) -> None:
        """Remove the export files this sandbox wrote."""
        self.store.close()

    def _drop(self, environ: dict[str, Any] | None) -> None:
        sock = (environ or {}).get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise DropConnection("connection dropped by fault injection")

    # ------------------------------------------------------------ gateway + validation

    def _aep_call(self, endpoint: str, args: dict[str, Any], request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return gateway_error(401, "401013", "Oauth token is not valid")
        client_id = self.store.token_client(auth[7:].strip())
        if client_id is None:
            return gateway_error(401, "401013", "Oauth token is not valid")
        api_key = request.headers.get("x-api-key")
        if not api_key:
            return gateway_error(403, "403000", "Api Key is required")
        if client_id != "*" and api_key != client_id:
            return gateway_error(403, "403003", "Api Key is invalid")
        if not request.headers.get("x-gw-ims-org-id"):
            return gateway_error(400, "400003", "x-gw-ims-org-id header is required")
        if self.validator is not None:
            check = self.validator.check_request(request)
            if check is not None and check.problem:
                return self._bad_request(
                    endpoint, f"request does not conform to {check.api}: {check.problem}"
                )
        sandbox = request.headers.get("x-sandbox-name", "prod")
        if sandbox != sandbox.lower():
            return gateway_error(400, "400006", "x-sandbox-name must be lower-case")
        response: Response = getattr(self, endpoint)(
            request, sandbox=sandbox, client_id=client_id, **args
        )
        if self.validator is not None and self.validate_responses:
            check = self.validator.check_response(request, response)
            if check is not None and check.problem:
                message = (
                    f"{request.method} {request.path} -> {response.status_code}: {check.problem}"
                )
                self.violations.append(message)
                log.warning("response does not conform to %s: %s", check.api, message)
        return response

    def _bad_request(self, endpoint: str, message: str) -> Response:
        if endpoint.startswith("dataset") or endpoint == "batch":
            return catalog_error(400, "Bad Request", message)
        return ups_error(400, "Bad Request", message)

    def _body(self, request: Request) -> Any:
        try:
            return json.loads(request.get_data() or b"null")
        except ValueError:
            return None

    # ------------------------------------------------------------ IMS

    def ims_token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return _json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
                400,
            )
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not client_id or not secret:
            return _json(
                {
                    "error": "invalid_request",
                    "error_description": "client_id and client_secret are required",
                },
                400,
            )
        expected = self.config.credentials
        if expected is not None and expected.get(client_id) != secret:
            return _json(
                {
                    "error": "invalid_client",
                    "error_description": "invalid client_id or client_secret",
                },
                401,
            )
        token, ttl = self.store.issue_token(client_id)
        return _json({"access_token": token, "token_type": "bearer", "expires_in": int(ttl)})

    # ------------------------------------------------------------ Catalog

    def datasets(self, request: Request, *, sandbox: str, client_id: str) -> Response:
        if request.method == "POST":
            body = self._body(request)
            if not isinstance(body, dict) or not body.get("name"):
                return catalog_error(400, "Bad Request", "name is required")
            ref = body.get("schemaRef") or {}
            if not ref.get("id"):
                return catalog_error(400, "Bad Request", "schemaRef.id is required")
            org = request.headers["x-gw-ims-org-id"]
            dataset_id = self.store.create_dataset(sandbox, body, org, client_id)
            return _json(
                [f"@/dataSets/{dataset_id}"], 201, {"Location": f"{CATALOG}/dataSets/{dataset_id}"}
            )
        with self.store.lock:
            items = list(self.store.space(sandbox).datasets.items())
        name = request.args.get("name")
        if name is not None:
            items = [(k, v) for k, v in items if v.get("name") == name]
        tag_filter = request.args.get("tags")
        if tag_filter:
            for clause in tag_filter.split(","):
                key, _, value = clause.partition(":")
                items = [
                    (k, v)
                    for k, v in items
                    if key in (v.get("tags") or {})
                    and (value in ("", "*") or value in v["tags"][key])
                ]
        items.sort(key=lambda kv: (kv[1]["created"], kv[0]))
        start = int(request.args.get("start", 0) or 0)
        limit = min(int(request.args.get("limit", 50) or 50), 100)
        return _json(dict(items[start : start + limit]))

    def dataset(
        self, request: Request, *, sandbox: str, client_id: str, dataset_id: str
    ) -> Response:
        space = self.store.space(sandbox)
        if request.method == "DELETE":
            if self.store.delete_dataset(sandbox, dataset_id):
                return _json([f"@/dataSets/{dataset_id}"])
            return _json([])
        if request.method == "PATCH":
            body = self._body(request)
            if not isinstance(body, dict):
                return catalog_error(400, "Bad Request", "PATCH body must be a JSON object")
            if not self.store.patch_dataset(sandbox, dataset_id, body):
                return catalog_error(404, "Not Found", f"dataset {dataset_id} not found")
            return _json([f"@/dataSets/{dataset_id}"])
        with self.store.lock:
            record = space.datasets.get(dataset_id)
            record = json.loads(json.dumps(record)) if record is not None else None
        if record is None:
            return catalog_error(404, "Not Found", f"dataset {dataset_id} not found")
        return _json({dataset_id: record})

    def batch(self, request: Request, *, sandbox: str, client_id: str, batch_id: str) -> Response:
        with self.store.lock:
            space = self.store.space(sandbox)
            known = space.batches.get(batch_id)
            if known is not None:
                self.store.job_view(sandbox, known["jobId"])
            batch = space.batches.get(batch_id)
            if batch is None:
                return catalog_error(404, "Not Found", f"batch {batch_id} not found")
            record = {
                "imsOrg": request.headers["x-gw-ims-org-id"],
                "status": batch["status"],
                "created": batch["created"],
                "updated": batch["updated"],
                "createdClient": "profile_export",
                "relatedObjects": [{"type": "dataSet", "id": batch["dataSetId"]}],
                "version": "1.0.0",
            }
        return _json({batch_id: record})

    # ------------------------------------------------------------ export jobs

    def jobs(self, request: Request, *, sandbox: str, client_id: str) -> Response:
        if request.method == "POST":
            body = self._body(request)
            if not isinstance(body, dict):
                return ups_error(400, "Bad Request", "body must be a JSON object")
            dataset_id = (body.get("destination") or {}).get("datasetId")
            if not dataset_id:
                return ups_error(
                    400, "Bad Request", "destination.datasetId is required", "UPS-400-010"
                )
            if not (body.get("schema") or {}).get("name"):
                return ups_error(400, "Bad Request", "schema.name is required", "UPS-400-011")
            with self.store.lock:
                exists = dataset_id in self.store.space(sandbox).datasets
            if self.config.require_existing_dataset and not exists:
                return ups_error(
                    422,
                    "Unprocessable Entity",
                    f"dataset {dataset_id} does not exist in sandbox {sandbox}",
                    "UPS-422-004",
                )
            job = self.store.create_job(
                sandbox, body, request.headers["x-gw-ims-org-id"], self._rng.random()
            )
            return _json(job, 200, {"X-Location": f"{UPS}/export/jobs/{job['id']}"})
        try:
            limit = int(request.args.get("limit", 20))
        except ValueError:
            return ups_error(400, "Bad Request", "limit must be a whole number")
        limit = max(1, min(limit, 100))
        status = request.args.get("status")
        offset = request.args.get("offset")
        cursor: tuple[int, int] | None = None
        if offset:
            created, _, last_id = offset.partition("_")
            try:
                cursor = (int(created), int(last_id))
            except ValueError:
                return ups_error(400, "Bad Request", f"invalid offset {offset!r}")
        page, more = self.store.list_jobs_page(sandbox, limit=limit, before=cursor, status=status)
        page_offset = f"{page[-1]['creationTime']}_{page[-1]['id']}" if page else ""
        next_link = f"/export/jobs/?limit={limit}&offset={quote(page_offset)}" if more else ""
        if more and status:
            next_link += f"&status={quote(status)}"
        return _json(
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

    def job(self, request: Request, *, sandbox: str, client_id: str, job_id: str) -> Response:
        if not job_id.isdigit():
            return ups_error(400, "Bad Request", f"invalid export job id {job_id!r}")
        jid = int(job_id)
        if request.method == "DELETE":
            if not self.store.delete_job(sandbox, jid):
                return ups_error(404, "Not Found", f"export job {jid} not found", "UPS-404-001")
            return _json({"status": True, "message": "Export job has been marked for cancelling"})
        view = self.store.job_view(sandbox, jid)
        if view is None:
            return ups_error(404, "Not Found", f"export job {jid} not found", "UPS-404-001")
        return _json(view)

    # ------------------------------------------------------------ Data Access

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
        self.batch(request, sandbox=sandbox, client_id=client_id, batch_id=batch_id)
        with self.store.lock:
            space = self.store.space(sandbox)
            if batch_id not in space.batches:
                return gateway_error(404, "404", f"batch {batch_id} not found")
            files = sorted((fid, f) for fid, f in space.files.items() if f["batchId"] == batch_id)
        page, next_link = self._page_of(request, files)
        base = request.host_url.rstrip("/")
        now = str(int(self.store.clock() * 1000))
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
        return _json(
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
            return _json(
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
        # The HTTP server adds its own Date; one header, as AEP sends.
        del response.headers["Date"]
        return response

    # ------------------------------------------------------------ admin (loopback only, not AEP)

    def admin_state(self, request: Request) -> Response:
        return _json(
            {
                "spaces": self.store.snapshot(),
                "violations": self.violations,
                "requests": len(self.request_log),
            }
        )

    def admin_reset(self, request: Request) -> Response:
        self.store.reset()
        self.faults.clear()
        self.violations.clear()
        return _json({"reset": True})

    def admin_config(self, request: Request) -> Response:
        if request.method == "POST":
            body = self._body(request) or {}
            for key, value in body.items():
                if not hasattr(self.config, key):
                    return _json({"error": f"unknown config key {key!r}"}, 400)
                setattr(self.config, key, value)
        return _json(self.store.config_dict())

    def admin_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            body = self._body(request) or {}
            try:
                if "rates" in body:
                    self.faults.rates = FaultRates(**{**asdict(FaultRates()), **body["rates"]})
                for item in body.get("script", []):
                    self.faults.add(ScriptedFault(**item))
            except (TypeError, ValueError) as exc:
                return _json({"error": str(exc)}, 400)
        return _json(self.faults.describe())

    def admin_forget_job(self, request: Request, job_id: int) -> Response:
        """Drop a job record but keep its batches, as AEP does with old jobs."""
        sandbox = request.headers.get("x-sandbox-name", "prod")
        return _json({"forgotten": self.store.forget_job(sandbox, job_id)})

    def admin_expire_tokens(self, request: Request) -> Response:
        return _json({"expired": self.store.expire_tokens()})
