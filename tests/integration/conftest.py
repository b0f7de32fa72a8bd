from __future__ import annotations

from collections.abc import Iterator

import pytest

from aep_pulumi.testing import SandboxHandle, provider_host_for, served_sandbox
from aep_pulumi.testing.provider_host import ProviderHost


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[SandboxHandle]:
    """One HTTP sandbox per module (the provider host keeps its token across tests)."""
    with served_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def host(live_sandbox: SandboxHandle) -> Iterator[ProviderHost]:
    with provider_host_for(live_sandbox) as provider_host:
        yield provider_host


@pytest.fixture(autouse=True)
def _fresh_state(live_sandbox: SandboxHandle) -> None:
    live_sandbox.app.store.clear_spaces()
    live_sandbox.app.config.job_duration = 0.4
    live_sandbox.app.faults.clear()
    live_sandbox.app.violations.clear()
