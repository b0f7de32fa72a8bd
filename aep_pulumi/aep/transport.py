"""The one place that speaks HTTP to AEP.

One ``requests.Session`` (connection pooling, thread-safe for our use), AEP's headers on every
call, an explicit timeout on every call, AEP's clock noted from every answer, and retries that
never risk a duplicate:

* GET, PATCH and DELETE are retried on 429, 5xx and connection errors, with capped exponential
  backoff and jitter, honouring ``Retry-After`` and a body ``retryAfterMs``.
* POST is retried only on 429 (AEP did not process it) or when the connection failed before the
  request was sent. A read timeout, a dropped connection or a 5xx after the body went out raise
  at once, marked ``maybe_applied``, because the object may exist.
* A 401 fetches a new token once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ..errors import (
    AepAmbiguousResultError,
    AepConfigError,
    AepConnectionError,
    AepResponseError,
    AepServerError,
)
from ..settings import AepSettings
from ..version import __version__
from .clock import ServerClock
from .error_bodies import error_from_response, response_json
from .ims import TokenSource
from .retries import RETRYABLE_STATUS, Backoff, request_was_never_sent

log = logging.getLogger("aep_pulumi.client")

# Raised by requests before anything is sent.
LOCAL_REQUEST_ERRORS = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


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
        # Held while a request is out (not while backing off): the bound towards AEP.
        self.in_flight = in_flight or contextlib.nullcontext()
        self.session = session
        self.tokens = tokens
        self.clock = clock
        self.sleep = sleep
        self.backoff = backoff or Backoff()
        self.request_count = 0

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
        url = self.settings.endpoint + path
        timeout = (min(10.0, self.settings.http_timeout), self.settings.http_timeout)
        attempt = 0
        renewed_token = False
        while True:
            token = self.tokens.token()
            headers = self._headers(token, sandbox)
            if extra_headers:
                headers.update(extra_headers)
            sent = time.time()
            self.request_count += 1
            try:
                with self.in_flight:
                    response = self.session.request(
                        method,
                        url,
                        json=json,
                        params=params,
                        headers=headers,
                        timeout=timeout,
                        stream=stream,
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
                never_sent = request_was_never_sent(exc)
                log.debug("%s %s failed: %s", method, path, type(exc).__name__)
                if method == "POST" and not never_sent:
                    raise AepAmbiguousResultError(
                        f"no answer ({type(exc).__name__}); the request may or may not have been "
                        "applied, so it was not retried",
                        operation=operation,
                    ) from None
                if attempt < self.settings.max_retries:
                    self.sleep(self.backoff.delay(attempt))
                    attempt += 1
                    continue
                raise AepConnectionError(
                    f"no answer after {attempt + 1} attempts ({type(exc).__name__})",
                    operation=operation,
                ) from None
            received = time.time()
            self.clock.note(response.headers.get("Date"), sent, received)
            log.debug(
                "%s %s -> %s in %.0f ms",
                method,
                path,
                response.status_code,
                (received - sent) * 1000,
            )
            status = response.status_code
            if status == 401 and not renewed_token and self.tokens.invalidate(token):
                renewed_token = True
                continue
            retryable = status == 429 or (status in RETRYABLE_STATUS and method != "POST")
            if retryable and attempt < self.settings.max_retries:
                self.sleep(self.backoff.delay(attempt, response))
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

    @staticmethod
    def json(response: requests.Response, operation: str) -> Any:
        """The decoded JSON body (``None`` when empty); a body that is not JSON raises."""
        if not response.content:
            return None
        body = response_json(response)
        if body is None:
            raise AepResponseError("answer is not JSON", operation=operation)
        return body
