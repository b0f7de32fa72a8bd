from __future__ import annotations

from collections.abc import Iterator

import pytest

from aep_pulumi.provider_host import ProviderHost
from aep_pulumi.sandbox import SandboxServer
from aep_pulumi.testing import SandboxHandle, make_app, sandbox_env


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[SandboxHandle]:
    """One HTTP sandbox per module (the provider host keeps its token across tests)."""
    app = make_app(job_duration=0.4)
    server = SandboxServer(app).start()
    try:
        yield SandboxHandle(server.url, app, sandbox_env(server.url))
    finally:
        server.stop()


@pytest.fixture(scope="module")
def host(live_sandbox: SandboxHandle) -> Iterator[ProviderHost]:
    env = dict(live_sandbox.env)
    secret = env.pop("AEP_CLIENT_SECRET")
    provider_host = ProviderHost(env)
    # The secret arrives the way `pulumi config set --secret aep:clientSecret` delivers it.
    provider_host.configure({"aep:clientSecret": secret})
    try:
        yield provider_host
    finally:
        provider_host.close()


@pytest.fixture(autouse=True)
def _fresh_state(live_sandbox: SandboxHandle) -> None:
    with live_sandbox.app.store.lock:
        live_sandbox.app.store.spaces.clear()
    live_sandbox.app.config.job_duration = 0.4
    live_sandbox.app.faults.clear()
    live_sandbox.app.violations.clear()
