"""The e2e tier: the real Pulumi CLI (``make engine``) against the sandbox.

Each test gets a throwaway workspace (its own PULUMI_HOME, a file backend, passphrase secrets,
no update check, no plugin download) and a sandbox on 127.0.0.1. Without an engine the tier is
skipped, saying how to get one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aep_pulumi.testing import SandboxHandle, served_sandbox
from aep_pulumi.testing.engine import HOW_TO_GET, Project, Workspace, find_engine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ENGINE = find_engine()
# The guide's main export on the native provider, one per language (tests/e2e/test_native.py).
NATIVE_EXAMPLES = ["native-yaml", "native-python", "native-typescript", "native-go"]

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if ENGINE is None:
        skip = pytest.mark.skip(reason=f"no Pulumi engine here: {HOW_TO_GET}")
        for item in items:
            if "tests/e2e/" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with served_sandbox(job_duration=1.0) as handle:
        yield handle


@pytest.fixture(autouse=True)
def _fresh(sandbox: SandboxHandle) -> None:
    sandbox.app.store.clear_spaces()
    sandbox.app.faults.clear()
    sandbox.app.config.job_duration = 1.0
    sandbox.app.config.credentials = None  # any secret (a test may rotate it)


@pytest.fixture
def workspace(tmp_path: Path, sandbox: SandboxHandle) -> Workspace:
    """The sandbox's `AEP_*` variables, except the client secret: that one comes from
    `pulumi config set --secret aep:clientSecret`, as a user sets it."""
    assert ENGINE is not None
    env = {k: v for k, v in sandbox.env.items() if k != "AEP_CLIENT_SECRET"}
    return Workspace(tmp_path, ENGINE, env)


def deployable(
    workspace: Workspace, sandbox: SandboxHandle, example: str, stack: str = "e2e"
) -> Project:
    """A copy of ``example`` with a stack whose client secret is a config secret."""
    project = workspace.project(EXAMPLES / example).init(stack)
    project.config("aep:clientSecret", sandbox.env["AEP_CLIENT_SECRET"], secret=True)
    return project


def aep_calls(sandbox: SandboxHandle, since: int) -> list[str]:
    """AEP requests (not IMS) the sandbox served since ``since``."""
    return [
        f"{e['method']} {e['path']}"
        for e in sandbox.app.request_log[since:]
        if e["path"].startswith("/data/")
    ]
