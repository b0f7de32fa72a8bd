"""AEP's answers as the sandbox builds them: JSON bodies and each API's error shape."""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Response


class DropConnection(ConnectionError):
    """Raised by the app to make the server close the socket without answering."""


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def gateway_error(status: int, code: str, message: str) -> Response:
    """Adobe I/O gateway errors: ``{"error_code", "message"}``."""
    return json_response({"error_code": code, "message": message}, status)


def catalog_error(status: int, title: str, detail: str) -> Response:
    """Catalog's problem-style errors."""
    return json_response(
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
    """Unified Profile (export jobs) errors."""
    return json_response(
        {
            "requestId": uuid.uuid4().hex,
            "errors": [{"code": code, "message": message}],
            "type": "http://ns.adobe.com/aep/errors/UPS",
            "title": title,
            "status": status,
        },
        status,
    )


def throttled(retry_after_ms: int | None, retry_after_header: float | None) -> Response:
    """A 429 as AEP's throttling answers it."""
    body: dict[str, Any] = {"message": "Too many requests", "statusCode": "429"}
    if retry_after_ms is not None:
        body["retryAfterMs"] = retry_after_ms
    headers = {"Retry-After": f"{retry_after_header:g}"} if retry_after_header is not None else None
    return json_response(body, 429, headers)
