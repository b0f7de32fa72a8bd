"""The one place that speaks HTTP to AEP, and the one retry loop (IMS's token request too).

One ``requests.Session`` (connection pooling, thread-safe for our use), AEP's headers on every
call, an explicit timeout on every call, AEP's clock noted from every answer, and retries that
never risk a duplicate:

* GET, PATCH and DELETE are retried on 429, 5xx and connection errors, with capped exponential
  backoff and jitter, honouring ``Retry-After`` and a body ``retryAfterMs``.
* POST is retried only on 429 (AEP did not process it) or when the connection failed before the
  request was sent. A read timeout, a dropped connection or a 5xx after the body went out raise
  at once, marked ``maybe_applied``, because the object may exist.
* A 401 fetches a new token once.

:class:`Sender` is that loop, its policy given as parameters (:class:`RetryPolicy`);
:class:`Transport` sends AEP's requests through it, and :mod:`.ims` its token requests (a read,
as far as retries go).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from ..errors import (
    AepAmbiguousResultError,
    AepConfigError,
    AepConnectionError,
    AepHttpError,
    AepResponseError,
    AepServerError,
)
from ..settings import AepSettings
from ..version import __version__
from .clock import ServerClock
from .error_bodies import error_from_response, response_json
from .retries import RETRYABLE_STATUS, Backoff, request_was_never_sent

if TYPE_CHECKING:
    from .ims import TokenSource

log = logging.getLogger("aep_pulumi.client")

# Raised by requests before anything is sent.
LOCAL_REQUEST_ERRORS = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How :class:`Sender` retries one logical request.

    ``repeatable``: sending it twice is harmless (a read; IMS's token request, a new token each
    time), so 429, 5xx and every connection failure are retried. Otherwise (an AEP create) only
    429 and a connection that failed before anything was sent are; a lost answer raises
    :class:`~aep_pulumi.errors.AepAmbiguousResultError` and a 5xx is marked ``maybe_applied``.
    ``unreachable``: the message when connection failures outlast the retries (``{attempts}``,
    ``{error}``: the exception's class name; never its text, which could hold a request body).
    """

    repeatable: bool
    unreachable: str = "no answer after {attempts} attempts ({error})"


READ = RetryPolicy(repeatable=True)
CREATE = RetryPolicy(repeatable=False)


class Sender:
    """The one retry loop: sends a request until it answers 2xx, fails for good, or may not be
    sent again; notes AEP's clock from every answer (when given one)."""

    def __init__(
        self,
        session: requests.Session,
        *,
        max_retries: int,
        sleep: Callable[[float], None] = time.sleep,
        backoff: Backoff | None = None,
        clock: ServerClock | None = None,
        in_flight: threading.BoundedSemaphore | None = None,
    ) -> None:
        self.session = session
        self.max_retries = max_retries
        self.sleep = sleep
        self.backoff = backoff or Backoff()
        self.clock = clock
        # Held while a request is out (not while backing off): the bound towards AEP.
        self.in_flight = in_flight or contextlib.nullcontext()
        self.attempts = 0  # every request sent or tried
        self.answers = 0  # every answer received (any status)

    def send(
        self,
        method: str,
        base: str,
        path: str,
        *,
        operation: str,
        policy: RetryPolicy,
        timeout: float | tuple[float, float],
        tokens: TokenSource | None = None,
        headers_for: Callable[[str], dict[str, str]] | None = None,
        **body: Any,
    ) -> requests.Response:
        """Send ``method base+path`` (``body``: requests' ``json``, ``data``, ``params``,
        ``stream``) and return the 2xx answer; anything else raises the matching
        :class:`~aep_pulumi.errors.AepError`. With ``tokens``, each attempt carries
        ``headers_for(token)`` and a 401 fetches a new token once."""
        attempt = 0
        renewed_token = False
        while True:
            token = tokens.token() if tokens is not None else None
            headers = headers_for(token) if headers_for is not None and token is not None else None
            response = self._attempt(
                method, base, path, operation, policy, attempt, timeout, headers, body
            )
            if response is None:  # the connection failed, and the wait before a retry is done
                attempt += 1
                continue
            status = response.status_code
            if (
                status == 401
                and tokens is not None
                and token is not None
                and not renewed_token
                and tokens.invalidate(token)
            ):
                renewed_token = True
                continue
            retryable = status == 429 or (status in RETRYABLE_STATUS and policy.repeatable)
            if retryable and attempt < self.max_retries:
                self.sleep(self.backoff.delay(attempt, response))
                attempt += 1
                continue
            if status >= 400:
                raise self._error(response, operation, policy)
            return response

    def _attempt(
        self,
        method: str,
        base: str,
        path: str,
        operation: str,
        policy: RetryPolicy,
        attempt: int,
        timeout: float | tuple[float, float],
        headers: dict[str, str] | None,
        body: dict[str, Any],
    ) -> requests.Response | None:
        """One try: its answer, or ``None`` after a connection failure that may be retried."""
        sent = time.time()
        self.attempts += 1
        try:
            with self.in_flight:
                response = self.session.request(
                    method, base + path, headers=headers, timeout=timeout, **body
                )
        except LOCAL_REQUEST_ERRORS as exc:
            # requests refused to build the request (a header or URL it cannot send):
            # nothing left the machine, and trying again cannot help.
            raise AepConfigError(
                f"the request could not be sent ({type(exc).__name__}); nothing was sent. "
                "Check the endpoint and credential settings for stray characters",
                operation=operation,
            ) from None
        except requests.RequestException as exc:
            log.debug("%s %s failed: %s", method, path, type(exc).__name__)
            self._connection_failed(exc, operation, policy, attempt)
            return None
        received = time.time()
        self.answers += 1
        if self.clock is not None:
            self.clock.note(response.headers.get("Date"), sent, received)
        log.debug(
            "%s %s -> %s in %.0f ms", method, path, response.status_code, (received - sent) * 1000
        )
        return response

    def _connection_failed(
        self, exc: requests.RequestException, operation: str, policy: RetryPolicy, attempt: int
    ) -> None:
        """Wait before the retry of a failed connection, or raise when none is allowed."""
        if not policy.repeatable and not request_was_never_sent(exc):
            raise AepAmbiguousResultError(
                f"no answer ({type(exc).__name__}); the request may or may not have been "
                "applied, so it was not retried",
                operation=operation,
            ) from None
        if attempt < self.max_retries:
            self.sleep(self.backoff.delay(attempt))
            return
        raise AepConnectionError(
            policy.unreachable.format(attempts=attempt + 1, error=type(exc).__name__),
            operation=operation,
        ) from None

    @staticmethod
    def _error(response: requests.Response, operation: str, policy: RetryPolicy) -> AepHttpError:
        error = error_from_response(response, operation)
        if not policy.repeatable and isinstance(error, AepServerError):
            error = error.with_message(
                error.message + " (not retried: the request may have been applied)"
            )
            error.maybe_applied = True
        return error


class Transport:
    """Sends one logical request to AEP (with the retries above) and returns the 2xx answer."""

    def __init__(
        self,
        settings: AepSettings,
        session: requests.Session,
        tokens: TokenSource,
        clock: ServerClock,
        *,
        sleep: Callable[[float], None] = time.sleep,
        backoff: Backoff | None = None,
        in_flight: threading.BoundedSemaphore | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.tokens = tokens
        self.clock = clock
        self.sender = Sender(
            session,
            max_retries=settings.max_retries,
            sleep=sleep,
            backoff=backoff,
            clock=clock,
            in_flight=in_flight,
        )

    @property
    def request_count(self) -> int:
        """AEP requests sent or tried so far (every attempt)."""
        return self.sender.attempts

    def _headers(self, token: str, sandbox: str | None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "x-api-key": self.settings.api_key,
            "x-gw-ims-org-id": self.settings.org_id,
            "x-sandbox-name": (sandbox or self.settings.sandbox_name).lower(),
            "Accept": "application/json",
            "User-Agent": f"aep-pulumi/{__version__}",
        }

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
        """Send one logical request and return the 2xx response.

        Non-2xx answers raise the matching :class:`~aep_pulumi.errors.AepError` subclass. With
        ``stream`` the body is left unread (the caller iterates it and closes the response).
        """
        method = method.upper()

        def headers_for(token: str) -> dict[str, str]:
            headers = self._headers(token, sandbox)
            if extra_headers:
                headers.update(extra_headers)
            return headers

        return self.sender.send(
            method,
            self.settings.endpoint,
            path,
            operation=operation,
            policy=CREATE if method == "POST" else READ,
            timeout=(min(10.0, self.settings.http_timeout), self.settings.http_timeout),
            tokens=self.tokens,
            headers_for=headers_for,
            json=json,
            params=params,
            stream=stream,
        )

    @staticmethod
    def json(response: requests.Response, operation: str) -> Any:
        """The decoded JSON body (``None`` when empty); a body that is not JSON raises."""
        if not response.content:
            return None
        body = response_json(response)
        if body is None:
            raise AepResponseError("answer is not JSON", operation=operation)
        return body
