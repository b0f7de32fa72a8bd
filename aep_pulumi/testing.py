"""pytest fixtures that fake AEP with the project's own sandbox (registered as a pytest plugin).

* ``aep_sandbox`` — the sandbox over real HTTP on 127.0.0.1 and a free port, stopped afterwards.
* ``aep_sandbox_inprocess`` — the same app, reached through ``responses`` (no socket at all):
  every ``requests`` call to ``https://aep.sandbox.test`` is routed into it.

Both yield a :class:`SandboxHandle`: ``handle.env`` holds ``AEP_*`` variables that point this
package (or a Pulumi program under test) at the sandbox, ``handle.use()`` applies them with
``monkeypatch``, ``handle.app`` exposes state, faults and spec violations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
import urllib3.exceptions
from werkzeug.test import Client

from .client import AepClient
from .provider_host import ProviderHost
from .sandbox import SandboxApp, SandboxConfig, SandboxServer
from .sandbox.app import DropConnection
from .sandbox.specs import default_openapi_dir
from .settings import AepSettings

TEST_ORG = "TESTORG0000000000000000@AdobeOrg"
TEST_CLIENT_ID = "aep-pulumi-tests"
# Not a real credential: the sandbox accepts any secret unless told otherwise.
TEST_CLIENT_SECRET = "sandbox-secret-value-0123456789"
INPROCESS_URL = "https://aep.sandbox.test"


@dataclass
class SandboxHandle:
    """A running sandbox and the settings that reach it."""

    url: str
    app: SandboxApp
    env: dict[str, str] = field(default_factory=dict)
    monkeypatch: pytest.MonkeyPatch | None = None

    def use(self) -> SandboxHandle:
        """Export ``env`` into ``os.environ`` for the rest of the test."""
        assert self.monkeypatch is not None
        for key, value in self.env.items():
            self.monkeypatch.setenv(key, value)
        return self

    def settings(self, **overrides: str) -> AepSettings:
        return AepSettings.load({}, {**self.env, **overrides})

    def client(self, **overrides: str) -> AepClient:
        return AepClient(self.settings(**overrides), sleep=lambda _s: None)

    def state(self, sandbox: str = "prod") -> dict[str, Any]:
        """Datasets and jobs that exist in one sandbox right now."""
        snapshot = self.app.store.snapshot().get(sandbox, {})
        return {"datasets": snapshot.get("datasets", {}), "jobs": snapshot.get("jobs", {})}


def sandbox_env(url: str, **extra: str) -> dict[str, str]:
    """``AEP_*`` variables that point this package at a sandbox at ``url``."""
    env = {
        "AEP_ENDPOINT": url,
        "AEP_IMS_ENDPOINT": url,
        "AEP_ORG_ID": TEST_ORG,
        "AEP_CLIENT_ID": TEST_CLIENT_ID,
        "AEP_CLIENT_SECRET": TEST_CLIENT_SECRET,
        "AEP_SANDBOX_NAME": "prod",
        "AEP_POLL_INITIAL_SECONDS": "0.05",
        "AEP_POLL_MAX_SECONDS": "0.2",
        "AEP_HTTP_TIMEOUT_SECONDS": "5",
    }
    env.update(extra)
    return env


def make_app(job_duration: float = 0.3, **config: Any) -> SandboxApp:
    """A sandbox app with fast jobs, validating against the specs when they can be found."""
    return SandboxApp(
        SandboxConfig(job_duration=job_duration, **config), openapi_dir=default_openapi_dir()
    )


@contextmanager
def served_sandbox(job_duration: float = 0.4) -> Iterator[SandboxHandle]:
    """A sandbox over HTTP on 127.0.0.1 (free port), for module- or session-wide fixtures."""
    app = make_app(job_duration=job_duration)
    server = SandboxServer(app).start()
    try:
        yield SandboxHandle(server.url, app, sandbox_env(server.url))
    finally:
        server.stop()


@contextmanager
def provider_host_for(sandbox: SandboxHandle, **env: str) -> Iterator[ProviderHost]:
    """Pulumi's provider host pointed at ``sandbox``.

    The client secret reaches it through Configure, the way ``pulumi config set --secret
    aep:clientSecret`` delivers it, not through the environment.
    """
    host_env = {**sandbox.env, **env}
    secret = host_env.pop("AEP_CLIENT_SECRET")
    host = ProviderHost(host_env)
    try:
        host.configure({"aep:clientSecret": secret})
        yield host
    finally:
        host.close()


def _route_into(app: SandboxApp, mock: responses.RequestsMock, base_url: str) -> None:
    wsgi = Client(app)
    base_path = urlsplit(base_url)

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.url or "")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        body = request.body.encode() if isinstance(request.body, str) else request.body
        try:
            result = wsgi.open(
                parts.path,
                method=request.method or "GET",
                query_string=parts.query,
                headers=headers,
                data=body,
                base_url=f"{base_path.scheme}://{base_path.netloc}",
            )
        except DropConnection:
            # What requests raises when the server closes the socket without answering.
            raise requests.ConnectionError(
                urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError())
            ) from None
        out_headers = {
            k: v for k, v in result.headers.items() if k.lower() not in ("content-length",)
        }
        return (result.status_code, out_headers, result.get_data())

    pattern = re.compile(re.escape(base_url) + r"/.*")
    for method in ("GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"):
        mock.add_callback(method, pattern, callback=callback)


@pytest.fixture
def aep_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    """The sandbox over real HTTP on 127.0.0.1 (free port); jobs take 0.3 s."""
    app = make_app()
    server = SandboxServer(app).start()
    try:
        yield SandboxHandle(server.url, app, sandbox_env(server.url), monkeypatch)
    finally:
        server.stop()


@pytest.fixture
def aep_sandbox_inprocess(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    """The sandbox reached through ``responses`` at ``https://aep.sandbox.test``; no sockets."""
    app = make_app()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _route_into(app, mock, INPROCESS_URL)
        yield SandboxHandle(INPROCESS_URL, app, sandbox_env(INPROCESS_URL), monkeypatch)
