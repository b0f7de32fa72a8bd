"""When a request may be sent again, and how long to wait first.

Written here rather than delegated to urllib3's ``Retry`` or tenacity because both rules depend
on AEP specifics those libraries cannot see: the throttling delay may live in the JSON body
(``retryAfterMs``), and whether a POST may be repeated depends on whether the request ever left
the machine.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions

from .error_bodies import response_json

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# The longest wait AEP may ask for that we honour as it is.
MAX_SERVER_DELAY = 120.0


def request_was_never_sent(exc: requests.RequestException) -> bool:
    """True when the connection failed before any byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason: Any = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(
            reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
        )
    return False


def server_delay(response: requests.Response) -> float | None:
    """The wait AEP asked for, from ``Retry-After`` (seconds or a date) or a body
    ``retryAfterMs``."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(header)
            except (TypeError, ValueError):
                parsed = None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    body = response_json(response)
    if isinstance(body, Mapping) and body.get("retryAfterMs") is not None:
        try:
            return max(0.0, float(body["retryAfterMs"]) / 1000.0)
        except (TypeError, ValueError):
            return None
    return None


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter; AEP's own delay wins when it gives one."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, response: requests.Response | None = None) -> float:
        suggested = server_delay(response) if response is not None else None
        if suggested is not None:
            return min(suggested, MAX_SERVER_DELAY)
        ceiling = min(self.cap, self.base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)
