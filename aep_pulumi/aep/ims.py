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

from ..errors import AepAuthError, AepHttpError, AepResponseError
from .clock import ServerClock
from .error_bodies import response_json
from .models import TokenResponse
from .retries import Backoff
from .transport import RetryPolicy, Sender

IMS_TOKEN_PATH = "/ims/token/v3"
# A token request is a read as far as retries go (IMS issues a new token each time); the form
# body holds the secret, so no message ever quotes it (only the exception's class name).
IMS_TOKEN_POLICY = RetryPolicy(
    repeatable=True, unreachable="could not reach IMS after {attempts} attempts: {error}"
)


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
        self._base = ims_endpoint.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = scopes
        self._timeout = timeout
        self._clock = clock
        # The transport's retry loop, with its own count (IMS is not in AEP's request count).
        self._sender = Sender(
            session, max_retries=max_retries, sleep=sleep, backoff=backoff, clock=server_clock
        )
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    @property
    def fetch_count(self) -> int:
        """IMS answers received so far (any status)."""
        return self._sender.answers

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
        """The token request, retried like a read (:data:`IMS_TOKEN_POLICY`); a 4xx other than
        429 is a refusal of the credentials, and raises :class:`~aep_pulumi.errors.AepAuthError`."""
        operation = "IMS token request"
        data = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": self._scopes,
        }
        try:
            return self._sender.send(
                "POST",
                self._base,
                IMS_TOKEN_PATH,
                operation=operation,
                policy=IMS_TOKEN_POLICY,
                timeout=self._timeout,
                data=data,
            )
        except AepHttpError as error:
            # 5xx and 429 after every retry are an outage, not a refusal of the credentials.
            if error.status is None or error.status >= 500 or error.status == 429:
                raise
            raise AepAuthError(
                error.message,
                status=error.status,
                code=error.code,
                request_id=error.request_id,
                operation=operation,
            ) from None

    def _fetch(self) -> None:
        operation = "IMS token request"
        response = self._post()
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
