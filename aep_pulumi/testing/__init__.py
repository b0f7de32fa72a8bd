"""A test kit for programs that use this package: a local AEP and engine-faithful mocks.

* :func:`served_sandbox` — the sandbox over real HTTP on 127.0.0.1 (a context manager);
  :func:`provider_host_for` — Pulumi's own dynamic provider host pointed at it;
  :func:`native_host_for` — the native plugin ``pulumi-resource-aep`` pointed at it.
* :class:`EngineMocks`, :func:`plan`, :func:`run` — Pulumi mocks that run the providers' real
  ``check``/``diff`` and follow the engine's preview rules (see :mod:`aep_pulumi.testing.engine_mocks`).
* The pytest fixtures ``aep_sandbox`` and ``aep_sandbox_inprocess`` live in
  :mod:`aep_pulumi.testing.pytest_plugin` (registered with pytest on install).

The kit is the ``testing`` extra (``pip install "aep-pulumi[testing]"``: the sandbox, pytest,
responses). This module imports none of them, so it works in any program: the hosts and the
mocks need only the package, and what needs the sandbox says which extra installs it.
"""

from __future__ import annotations

from .engine_mocks import CheckFailed, EngineMocks, Plan, Step, plan, run
from .native_host import NativeHost
from .provider_host import ProviderHost
from .sandboxes import (
    INPROCESS_URL,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    TEST_ORG,
    SandboxHandle,
    make_app,
    native_host_for,
    provider_host_for,
    sandbox_env,
    served_sandbox,
)

__all__ = [
    "INPROCESS_URL",
    "TEST_CLIENT_ID",
    "TEST_CLIENT_SECRET",
    "TEST_ORG",
    "CheckFailed",
    "EngineMocks",
    "NativeHost",
    "Plan",
    "ProviderHost",
    "SandboxHandle",
    "Step",
    "make_app",
    "native_host_for",
    "plan",
    "provider_host_for",
    "run",
    "sandbox_env",
    "served_sandbox",
]
