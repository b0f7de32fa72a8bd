"""``AepClient``: the Catalog, export-job, Data Access and Profile APIs over one transport.

Each API lives in its own module (:mod:`.catalog`, :mod:`.export_jobs`, :mod:`.data_access`,
:mod:`.profile`);
the client joins them over a single :class:`~.transport.Transport` (session, headers, retries,
the POST rule, token renewal, AEP's clock), so one object serves a whole provider process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import requests.adapters

from ..settings import AepSettings
from .catalog import CatalogApi
from .clock import ServerClock
from .data_access import DataAccessApi
from .export_jobs import ExportJobsApi
from .ims import ImsClientCredentials, StaticToken, TokenSource
from .profile import ProfileApi
from .retries import Backoff
from .session import AepSession
from .transport import Transport


class AepClient(CatalogApi, ExportJobsApi, DataAccessApi, ProfileApi):
    """A synchronous client for the Catalog, export-job and Data Access APIs of AEP.

    ``sandbox`` arguments override the configured sandbox for one call. It holds credentials, so
    it refuses to be pickled.
    """

    def __init__(
        self,
        settings: AepSettings,
        *,
        session: requests.Session | None = None,
        token_source: TokenSource | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        requests_at_once: int | None = None,
    ) -> None:
        self.settings = settings
        self.session = session or AepSession()
        if requests_at_once is not None and session is None:
            # A connection per request in flight, kept for reuse (the default keeps 10).
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=4, pool_maxsize=requests_at_once
            )
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)
        # TLS verification is never turned off. (Proxy and CA-bundle environment variables
        # still apply: they change where trust comes from, not whether it is checked.)
        if not self.session.verify:
            self.session.verify = True
        self.clock = ServerClock()
        backoff = Backoff(backoff_base, backoff_cap)
        if token_source is not None:
            self.tokens: TokenSource = token_source
        elif settings.access_token:
            self.tokens = StaticToken(settings.access_token)
        else:
            assert settings.client_id and settings.client_secret
            self.tokens = ImsClientCredentials(
                self.session,
                settings.ims_endpoint,
                settings.client_id,
                settings.client_secret,
                settings.scopes,
                timeout=settings.http_timeout,
                server_clock=self.clock,
                max_retries=settings.max_retries,
                backoff=backoff,
                sleep=sleep,
            )
        self.transport = Transport(
            settings,
            self.session,
            self.tokens,
            self.clock,
            sleep=sleep,
            backoff=backoff,
            in_flight=threading.BoundedSemaphore(requests_at_once) if requests_at_once else None,
        )

    def __repr__(self) -> str:
        return f"AepClient(endpoint={self.settings.endpoint!r}, org={self.settings.org_id!r})"

    def __reduce__(self) -> Any:
        raise TypeError("AepClient holds credentials and must not be pickled")

    @property
    def request_count(self) -> int:
        """AEP requests sent so far (every attempt; IMS not included)."""
        return self.transport.request_count

    @property
    def server_clock_offset_ms(self) -> int | None:
        """AEP's clock minus ours, in ms (``None`` until an answer carried a ``Date``)."""
        return self.clock.offset_ms

    def server_now_ms(self) -> int:
        """Our best estimate of AEP's clock now, in epoch ms."""
        return self.clock.now_ms()
