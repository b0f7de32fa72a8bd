"""The HTTP session every AEP client uses: requests' own, with the environment read once.

A plain ``requests.Session`` looks at the environment on every request: it walks every variable
for proxy settings and ``NO_PROXY``, reads the CA-bundle variables and, when the request has no
``auth`` of its own, ``~/.netrc``. Two things follow for us. The walk costs about a fifth of the
native plugin's CPU with 500 exports, each create making a few requests. And a ``~/.netrc``
entry for AEP's host would put Basic credentials in the ``Authorization`` header, in place of the
bearer token we send. :class:`AepSession` turns requests' own environment handling off, reads the
proxy settings once per scheme and host (``NO_PROXY`` still applies per host) and the CA bundle
once, and never reads ``~/.netrc``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import requests.utils

if TYPE_CHECKING:
    from requests.sessions import _Settings


def environment_ca_bundle() -> str | None:
    """The CA bundle the environment names, as requests reads it (an empty value names none)."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


class AepSession(requests.Session):
    """A ``requests.Session`` that takes proxies and the CA bundle from the environment, as
    requests does, but reads them once (per host for proxies) and ignores ``~/.netrc``.

    TLS verification stays on: the environment can only say which bundle to trust."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = environment_ca_bundle() or True
        self._proxies_by_host: dict[str, dict[str, str]] = {}

    def proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url`` (none when ``NO_PROXY`` covers its host)."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        found = self._proxies_by_host.get(key)
        if found is None:
            found = dict(requests.utils.get_environ_proxies(url))
            self._proxies_by_host[key] = found
        return found

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: MutableMapping[str, str] | None,
        stream: bool | None,
        verify: bool | str | None,
        cert: Any,
    ) -> _Settings:
        """requests' hook for the environment's part of a request's settings."""
        text = url.decode() if isinstance(url, bytes) else (url or "")
        given: Mapping[str, str] = proxies or {}
        merged = {**self.proxies_for(text), **given}
        return super().merge_environment_settings(url, merged, stream, verify, cert)
