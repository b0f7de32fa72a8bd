"""Access-token sources: a ready token, or IMS OAuth server-to-server client credentials.

IMS issues no refresh token; a new token is fetched shortly before ``expires_in`` (seconds) runs
out, and once more when AEP answers 401. The cache is shared by the provider host's worker
threads, so every read and renewal happens under a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import requests
from pydantic import ValidationError

from ..errors import AepAuthError, AepConnectionError, AepResponseError
from .clock import ServerClock
from .error_bodies import error_from_response, response_json
from .models import TokenResponse
from .retries import RETRYABLE_STATUS, Backoff

IMS_TOKEN_PATH = "/ims/token/v3"


class TokenSource(Protocol):
    """Anything that can hand out a bearer token and be told that one was rejected."""

    def token(self) -> str:
        """A token believed valid now."""
        ...

    def invalidate(self, token: str) -> bool:
        """Forget ``token`` after a 401. True when a different token can now be fetched."""
        ...


class StaticToken:
    """A token configured by the user (``aep:accessToken``); it cannot be renewed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"

    def token(self) -> str:
        return self._token

    def invalidate(self, token: str) -> bool:
        return False


class ImsClientCredentials:
    """OAuth server-to-server (client credentials) tokens from Adobe IMS, cached.

    A token request is a read as far as retries go: IMS issues a new token each time, so a lost
    answer costs nothing. 429, 5xx and connection failures are retried with the transport's
    backoff; a 4xx (bad credentials) fails at once.
    """

    def __init__(
        self,
        session: requests.Session,
        ims_endpoint: str,
        client_id: str,
        client_secret: str,
        scopes: str,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        server_clock: ServerClock | None = None,
        max_retries: int = 5,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._session = session
        self._url = ims_endpoint.rstrip("/") + IMS_TOKEN_PATH
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = scopes
        self._timeout = timeout
        self._clock = clock
        self._server_clock = server_clock
        self._max_retries = max_retries
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"ImsClientCredentials(client_id={self._client_id!r}, secret=<redacted>)"

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> bool:
        with self._lock:
            if self._token == token:
                self._token = None
            return True

    def _post(self) -> requests.Response:
        """The token request, retried like a read; the last failure raises."""
        operation = "IMS token request"
        data = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": self._scopes,
        }
        attempt = 0
        while True:
            sent = time.time()
            try:
                response = self._session.post(self._url, data=data, timeout=self._timeout)
            except requests.RequestException as exc:
                if attempt < self._max_retries:
                    self._sleep(self._backoff.delay(attempt))
                    attempt += 1
                    continue
                # The exception text holds only host/port information, never the form body.
                raise AepConnectionError(
                    f"could not reach IMS after {attempt + 1} attempts: {type(exc).__name__}",
                    operation=operation,
                ) from None
            if self._server_clock is not None:
                self._server_clock.note(response.headers.get("Date"), sent, time.time())
            self.fetch_count += 1
            if response.status_code in RETRYABLE_STATUS and attempt < self._max_retries:
                self._sleep(self._backoff.delay(attempt, response))
                attempt += 1
                continue
            return response

    def _fetch(self) -> None:
        operation = "IMS token request"
        response = self._post()
        if response.status_code >= 400:
            error = error_from_response(response, operation)
            # 5xx and 429 after every retry are an outage, not a refusal of the credentials.
            cls = (
                AepAuthError
                if response.status_code < 500 and response.status_code != 429
                else type(error)
            )
            raise cls(
                error.message,
                status=error.status,
                code=error.code,
                request_id=error.request_id,
                operation=operation,
            )
        try:
            parsed = TokenResponse.model_validate(response_json(response))
        except ValidationError:
            raise AepResponseError(
                "IMS answered without a usable access_token/expires_in", operation=operation
            ) from None
        # Renew a little early (a tenth of the lifetime, at most 5 minutes) so that a token
        # never expires between being handed out and reaching AEP.
        margin = min(300.0, parsed.expires_in / 10)
        self._token = parsed.access_token
        self._renew_at = self._clock() + parsed.expires_in - margin
