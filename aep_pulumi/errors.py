"""Typed errors for everything that can go wrong talking to AEP.

Every error renders as one readable line that carries what a support ticket needs: the HTTP
status, AEP's error code, AEP's message and the request id. None of them ever carries a
credential: messages are built only from response bodies and our own text. Reading AEP's
error bodies is AEP wire knowledge: :mod:`aep_pulumi.aep.error_bodies`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

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
        self, message: str, *, object_id: str, state: Mapping[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.object_id = object_id
        self.state = state
