"""AEP's error bodies, read: the code, message and request id of any of AEP's error shapes, and
the typed error (:mod:`aep_pulumi.errors`) for a non-2xx answer.

This is AEP wire knowledge, so it lives in the AEP layer; the exception classes themselves stay
in the base module :mod:`aep_pulumi.errors`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from ..errors import (
    AepAuthError,
    AepBadRequestError,
    AepHttpError,
    AepNotFoundError,
    AepServerError,
    AepThrottledError,
)


def _first_str(body: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if value is not None and value != "":
            return str(value)
    return None


def _describe_ups_errors(errors: Any) -> tuple[str | None, str | None]:
    """UPS puts details in ``errors`` as a list or an object keyed by field."""
    if isinstance(errors, list):
        codes = [str(e.get("code")) for e in errors if isinstance(e, Mapping) and e.get("code")]
        msgs = [
            str(e.get("message") or e.get("msg"))
            for e in errors
            if isinstance(e, Mapping) and (e.get("message") or e.get("msg"))
        ]
        return (codes[0] if codes else None, "; ".join(msgs) or None)
    if isinstance(errors, Mapping):
        return (None, "; ".join(f"{k}: {v}" for k, v in errors.items()) or None)
    return (None, None)


def parse_error_body(body: Any) -> tuple[str | None, str | None, str | None]:
    """Return ``(code, message, request_id)`` from any of AEP's error body shapes.

    Shapes seen in AEP: gateway ``{error_code, message}``; problem-style
    ``{type, title, status, detail}``; UPS ``{requestId, errors, type, title, status}``;
    throttling ``{message, retryAfterMs, statusCode}``; and Catalog's list of such objects.
    """
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        body = body[0]
    if not isinstance(body, Mapping):
        return (None, None, None)
    code = _first_str(body, "error_code", "errorCode", "code")
    if code is None and body.get("error_description") is not None:
        # IMS (OAuth): {"error": "invalid_client", "error_description": "..."}
        code = _first_str(body, "error")
    ups_code, ups_message = _describe_ups_errors(body.get("errors"))
    code = code or ups_code
    title = _first_str(body, "title")
    detail = _first_str(body, "detail", "message", "msg", "error_description")
    if detail is None and code != body.get("error"):
        detail = _first_str(body, "error")
    message = ": ".join(p for p in (title, detail) if p) or None
    if ups_message:
        message = f"{message}: {ups_message}" if message else ups_message
    problem_type = _first_str(body, "type")
    if code is None and problem_type is not None:
        # Problem-style errors name their code last in the type URI (…/errors/CAT-404).
        last = problem_type.rstrip("/").rsplit("/", 1)[-1]
        if any(c.isdigit() for c in last) and last != problem_type:
            code = last
        elif title is None and message:
            code = problem_type
    request_id = _first_str(body, "requestId", "request_id", "x-request-id")
    report = body.get("report")
    if request_id is None and isinstance(report, Mapping):
        request_id = _first_str(report, "requestId")
    return (code, message, request_id)


_STATUS_CLASSES: dict[int, type[AepHttpError]] = {
    401: AepAuthError,
    403: AepAuthError,
    404: AepNotFoundError,
    429: AepThrottledError,
}


def error_class_for_status(status: int) -> type[AepHttpError]:
    """Pick the error subclass for an HTTP status."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return AepServerError
    if 400 <= status < 500:
        return AepBadRequestError
    return AepHttpError


def response_json(response: requests.Response) -> Any:
    """The decoded JSON body, or ``None`` when the body is empty or not JSON."""
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def error_from_response(response: requests.Response, operation: str) -> AepHttpError:
    """Build the typed error for a non-2xx answer."""
    code, message, body_request_id = parse_error_body(response_json(response))
    request_id = (
        response.headers.get("x-request-id")
        or response.headers.get("x-adobe-request-id")
        or body_request_id
    )
    if message is None:
        text = response.text.strip()
        message = text[:300] if text and not text.startswith("<") else (response.reason or "")
    cls = error_class_for_status(response.status_code)
    return cls(
        message or "no error message",
        status=response.status_code,
        code=code,
        request_id=request_id,
        operation=operation,
    )
