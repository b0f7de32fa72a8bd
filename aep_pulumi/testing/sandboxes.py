"""Sandboxes for tests: the local AEP over real HTTP, and either door's gRPC host pointed at it.

The sandbox itself is the ``sandbox`` extra: :func:`make_app` and :func:`served_sandbox` say so
when it is missing; the hosts and :func:`sandbox_env` need only the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..aep.client import AepClient
from ..settings import AepSettings
from .native_host import NativeHost
from .provider_host import ProviderHost

if TYPE_CHECKING:
    from ..sandbox import SandboxApp

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
    # A pytest MonkeyPatch when the handle comes from a fixture (typed loosely: no pytest here).
    monkeypatch: Any = None

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
    from ..sandbox import SandboxApp, SandboxConfig
    from ..sandbox.specs import default_openapi_dir

    return SandboxApp(
        SandboxConfig(job_duration=job_duration, **config), openapi_dir=default_openapi_dir()
    )


@contextmanager
def served_sandbox(job_duration: float = 0.4) -> Iterator[SandboxHandle]:
    """A sandbox over HTTP on 127.0.0.1 (free port), for module- or session-wide fixtures."""
    from ..sandbox import SandboxServer

    app = make_app(job_duration=job_duration)
    server = SandboxServer(app).start()
    try:
        yield SandboxHandle(server.url, app, sandbox_env(server.url))
    finally:
        server.stop()


class _Host(Protocol):
    def configure(self, config: dict[str, str]) -> None: ...
    def close(self) -> None: ...


H = TypeVar("H", bound=_Host)


def _configured(
    start: Callable[[dict[str, str]], H],
    sandbox: SandboxHandle | Mapping[str, str],
    env: dict[str, str],
) -> Iterator[H]:
    base = sandbox.env if isinstance(sandbox, SandboxHandle) else sandbox
    host_env = {**base, **env}
    secret = host_env.pop("AEP_CLIENT_SECRET", None)
    host = start(host_env)
    try:
        host.configure({"aep:clientSecret": secret} if secret else {})
        yield host
    finally:
        host.close()


@contextmanager
def provider_host_for(
    sandbox: SandboxHandle | Mapping[str, str], *, python: str | None = None, **env: str
) -> Iterator[ProviderHost]:
    """Pulumi's provider host (run by ``python``, default this one) pointed at ``sandbox`` (a
    handle, or its ``AEP_*`` variables).

    The client secret reaches it through Configure, the way ``pulumi config set --secret
    aep:clientSecret`` delivers it, not through the environment.
    """
    yield from _configured(lambda host_env: ProviderHost(host_env, python=python), sandbox, env)


@contextmanager
def native_host_for(
    sandbox: SandboxHandle | Mapping[str, str], *, plugin: Sequence[str] | None = None, **env: str
) -> Iterator[NativeHost]:
    """The native plugin (``pulumi-resource-aep``, or the command ``plugin``) pointed at
    ``sandbox``, configured as :func:`provider_host_for` configures the dynamic host."""
    yield from _configured(lambda host_env: NativeHost(host_env, plugin=plugin), sandbox, env)
