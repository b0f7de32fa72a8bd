"""The sandbox WSGI application: AEP's URL layout, gateway checks, spec validation, faults.

The same app serves real HTTP (``aep-sandbox``, the ``aep_sandbox`` fixture) and in-process
``responses`` routing (``aep_sandbox_inprocess``). The handlers live with their API
(``routes_*``); here are the routing, the gateway's checks, the spec validation and the faults.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .config import SandboxConfig
from .faults import FaultPlan, ScriptedFault
from .responses import (
    DropConnection,
    catalog_error,
    gateway_error,
    throttled,
    ups_error,
)
from .routes_admin import ADMIN, AdminRoutes
from .routes_catalog import CATALOG, CatalogRoutes
from .routes_data_access import EXPORT, DataAccessRoutes
from .routes_export_jobs import UPS, ExportJobRoutes
from .routes_ims import ImsRoutes
from .routes_profile import CONFIG, ProfileRoutes
from .specs import SpecValidator, load_validator
from .store import Store

log = logging.getLogger("aep_pulumi.sandbox")

__all__ = ["DropConnection", "SandboxApp"]

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
        Rule(f"{CONFIG}/mergePolicies", endpoint="merge_policies", methods=["GET"]),
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


def _as_bytes(body: Iterable[str | bytes]) -> Iterator[bytes]:
    """A WSGI body's chunks as bytes."""
    for piece in body:
        yield piece.encode() if isinstance(piece, str) else piece


def _body_request_id(response: Response) -> str | None:
    if response.status_code < 400 or response.direct_passthrough:
        return None
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return None
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return None
    found = body.get("requestId") or (body.get("report") or {}).get("requestId")
    return str(found) if found else None


class SandboxApp(
    ImsRoutes, CatalogRoutes, ExportJobRoutes, DataAccessRoutes, ProfileRoutes, AdminRoutes
):
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
        self.rng = random.Random(seed)

    # ------------------------------------------------------------ WSGI plumbing

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        response = self.handle(request, environ)
        # AEP's clock, not the machine's (`clock_offset`): the server sends no Date of its own.
        response.headers["Date"] = email.utils.formatdate(self.store.now(), usegmt=True)
        if "x-request-id" not in response.headers:
            # AEP's gateway names every answer; an error body's own id is the same one.
            response.headers["x-request-id"] = _body_request_id(response) or uuid.uuid4().hex
        elapsed_ms = (time.monotonic() - started) * 1000
        # Never log headers or query strings: they may carry credentials.
        entry = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            # The organization asked (an id, not a credential): which provider sent it.
            "org": request.headers.get("x-gw-ims-org-id"),
            "ms": round(elapsed_ms, 1),
            "at": self.store.now(),
        }
        self.request_log.append(entry)
        log.info("%s %s %s %.0fms", request.method, request.path, response.status_code, elapsed_ms)
        return response(environ, start_response)

    def handle(self, request: Request, environ: dict[str, Any] | None = None) -> Response:
        """One request's answer. A fault of the sandbox itself is still answered in AEP's shape
        (a JSON 500), with its traceback in the sandbox's log."""
        try:
            return self._handle(request, environ)
        except DropConnection:
            raise
        except Exception:  # a bug of ours must not become an HTML page
            log.exception("the sandbox failed on %s %s", request.method, request.path)
            return gateway_error(500, "500000", "internal error in aep-sandbox (see its log)")

    def _handle(self, request: Request, environ: dict[str, Any] | None) -> Response:
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
        if self.config.foreign_twins and endpoint == "jobs" and request.method == "POST":
            self._foreign_twin(request)
        # Matched against the path and query, so a fault can aim at downloads (`?path=`).
        fault = self.faults.pick(request.method, request.full_path)
        if fault is not None:
            early = self._apply_fault_before(fault, environ)
            if early is not None:
                return early
        if endpoint == "ims_token":
            response = self.ims_token(request)
        else:
            response = self._aep_call(endpoint, dict(args), request)
        return self._apply_fault_after(fault, response, environ)

    def _foreign_twin(self, request: Request) -> None:
        """Another client's job of the same body into the same dataset (no request id of ours)."""
        body = request.get_json(silent=True)
        sandbox = (request.headers.get("x-sandbox-name") or "prod").lower()
        if isinstance(body, dict) and (body.get("destination") or {}).get("datasetId"):
            self.store.create_job(sandbox, body, "OTHERCLIENT@AdobeOrg", 1.0)

    def _apply_fault_before(
        self, fault: ScriptedFault, environ: dict[str, Any] | None
    ) -> Response | None:
        if fault.action == "latency" or fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.action == "throttle":
            return throttled(fault.retry_after_ms, fault.retry_after_header)
        if fault.action == "error":
            return gateway_error(
                fault.status, str(fault.status), "Service temporarily unavailable (injected)"
            )
        if fault.action == "drop_before":
            self._drop(environ)
        if fault.action == "expire_token":
            self.store.expire_tokens()
        return None

    def _apply_fault_after(
        self, fault: ScriptedFault | None, response: Response, environ: dict[str, Any] | None
    ) -> Response:
        ok = response.status_code < 300
        if fault is not None and fault.action == "drop_after":
            self._drop(environ)
        if fault is not None and fault.action == "truncate" and ok:
            response = self._truncated(response, environ)
        if response.mimetype == "application/octet-stream" and ok:
            response = self._counted(response)
        if fault is not None and fault.action == "malformed" and ok:
            return Response(
                b'{"records": [ {"id": ', status=response.status_code, mimetype="application/json"
            )
        return response

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
        body = request.get_data(cache=True)
        if body:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                return self._bad_request(endpoint, "the request body is not UTF-8 JSON")
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
