"""Typed errors for everything that can go wrong talking to AEP.

Every error renders as one readable line that carries what a support ticket needs: the HTTP
status, AEP's error code, AEP's message and the request id. None of them ever carries a
credential: messages are built only from response bodies and our own text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import requests

E = TypeVar("E", bound="AepError")


class AepError(Exception):
    """Base class of every error raised by ``aep_pulumi``.

    Attributes are ``None`` when AEP did not say (or when no HTTP exchange was involved).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        operation: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        self.message = message
        # True when a create may have taken effect in AEP although it raised (lost answer,
        # 5xx after the body was sent, an unreadable 2xx): callers must reconcile, not retry.
        self.maybe_applied = maybe_applied
        self.status = status
        self.code = code
        self.request_id = request_id
        self.operation = operation
        super().__init__(self._render())

    def with_message(self: E, message: str) -> E:
        """A copy of this error (same class and details) with another message."""
        return type(self)(
            message,
            status=self.status,
            code=self.code,
            request_id=self.request_id,
            operation=self.operation,
            maybe_applied=self.maybe_applied,
        )

    def _render(self) -> str:
        parts: list[str] = []
        if self.operation:
            parts.append(f"{self.operation}:")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"[{self.code}]")
        parts.append(self.message)
        text = " ".join(parts)
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class AepConfigError(AepError):
    """Configuration is missing or unsafe (a required key, a plain-http endpoint...)."""


class AepHttpError(AepError):
    """AEP answered with an error status."""


class AepBadRequestError(AepHttpError):
    """AEP rejected the request as invalid (400, 409, 422...)."""


class AepAuthError(AepHttpError):
    """Authentication or authorisation failed (401/403, or the IMS token call failed)."""


class AepNotFoundError(AepHttpError):
    """The object does not exist (404)."""


class AepThrottledError(AepHttpError):
    """AEP kept answering 429 after every retry."""


class AepServerError(AepHttpError):
    """AEP kept failing with 5xx after every retry."""


class AepConnectionError(AepError):
    """The request did not complete: connection refused, reset or timed out."""


class AepAmbiguousResultError(AepConnectionError):
    """A create call may or may not have been applied: its answer was lost.

    Raised instead of retrying, because retrying a POST whose outcome is unknown can create a
    duplicate object in AEP.
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("maybe_applied", True)
        super().__init__(message, **kwargs)


class AepOwnershipError(AepError):
    """More than one existing AEP object could be the result of a lost create.

    Adopting one of them could take another resource's job, so nothing is adopted and nothing is
    submitted again; the message lists the candidates.
    """


class AepClaimsError(AepError):
    """The claims on a dataset could not be read, written or read back, so an exactly-once
    decision cannot be made safely: the create stops instead of guessing (``aep:requireClaims``
    trades this for exporting without the protection)."""


class AepResponseError(AepError):
    """AEP answered 2xx with a body we cannot understand."""


class AepJobFailedError(AepError):
    """An export job reached status FAILED."""


class AepWaitTimeoutError(AepError):
    """An export job did not reach a terminal state before the deadline."""


class AepCancelled(AepError):
    """The engine asked the provider to stop (Ctrl-C, or the engine shutting down)."""


class AepPartialState(AepError):
    """An operation stopped half-way with an object that exists in AEP: ``object_id`` and
    ``state`` say what the stack should hold (a front door that can record partial state
    returns them with the error; the dynamic door never raises this)."""

    def __init__(
        self, message: str, *, object_id: str, state: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.object_id = object_id
        self.state = state


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
