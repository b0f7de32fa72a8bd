"""`pulumi preview` checks the configuration without calling AEP, through the provider host."""

from __future__ import annotations

from pathlib import Path

import pytest

from aep_pulumi.testing import SandboxHandle, served_sandbox
from aep_pulumi.testing.engine_mocks import plan
from aep_pulumi.testing.provider_host import ProviderHost

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def bare_sandbox() -> SandboxHandle:
    with served_sandbox() as sandbox:
        yield sandbox  # type: ignore[misc]


def _host(sandbox: SandboxHandle, config: dict[str, str], **env: str) -> ProviderHost:
    host = ProviderHost({"AEP_ENDPOINT": sandbox.url, "AEP_IMS_ENDPOINT": sandbox.url, **env})
    host.configure(config)
    return host


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("aep:endpoint", "http://aep.example.com", "plain http://"),
        ("aep:sandboxName", "Dev", "all-lower-case"),
        ("aep:maxRetries", "many", "whole number"),
        ("aep:httpTimeoutSeconds", "-1", "greater than 0"),
    ],
)
def test_malformed_config_fails_check_naming_the_key(
    bare_sandbox: SandboxHandle, key: str, value: str, says: str
) -> None:
    host = _host(bare_sandbox, {key: value})
    try:
        _, failures = host.check("dataset", "t", {"name": "t"})
    finally:
        host.close()
    # Keyed on no property: the engine then prints `resource 'x' has a problem: <reason>`, not
    # `property aep:endpoint value {<nil>} has a problem` (the key is no input of the resource).
    assert [prop for prop, _ in failures] == [""]
    assert failures[0][1].startswith(f"`{key}` (or env ") and says in failures[0][1]


def test_a_mistyped_key_warns_with_the_closest_one_and_no_secret_is_needed(
    bare_sandbox: SandboxHandle,
) -> None:
    before = len(bare_sandbox.app.request_log)
    host = _host(bare_sandbox, {"aep:clientSecrte": "s3cr3t-value", "aep:orgId": "O@AdobeOrg"})
    try:
        for name in ("a", "b", "c"):
            _, failures = host.check("dataset", name, {"name": name})
            assert failures == []
        _, failures = host.check("job", "j", {"dataset_id": "5cf6bcf79ecc7c14530fe436"})
        assert failures == []
        log = host.log_text()
    finally:
        host.close()
    assert "unknown configuration key `aep:clientSecrte`; did you mean `aep:clientSecret`?" in log
    assert log.count("`pulumi up` will need it") == 1, log
    assert "s3cr3t-value" not in log
    assert len(bare_sandbox.app.request_log) == before


def test_dataset_ids_that_cannot_enter_a_url_fail_check(bare_sandbox: SandboxHandle) -> None:
    host = _host(bare_sandbox, {})
    try:
        _, failures = host.check("job", "j", {"dataset_id": "../../x"})
    finally:
        host.close()
    assert [p for p, _ in failures] == ["dataset_id"] and "not a dataset id" in failures[0][1]


# The kit's plan() runs Python programs on the dynamic door; the native examples' previews are
# the e2e tier's (tests/e2e/test_native.py), through the engine and the plugin.
DYNAMIC_EXAMPLES = sorted(
    p.name for p in EXAMPLES.iterdir() if (p / "__main__.py").is_file() and "native" not in p.name
)


@pytest.mark.parametrize("example", DYNAMIC_EXAMPLES)
def test_every_example_previews_without_credentials_or_http(
    bare_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch, example: str
) -> None:
    # Any AEP call would reach the sandbox (and fail for lack of credentials).
    monkeypatch.setenv("AEP_ENDPOINT", bare_sandbox.url)
    before = len(bare_sandbox.app.request_log)
    result = plan(EXAMPLES / example)
    assert result.steps and set(result.ops().values()) == {"same"}
    assert len(bare_sandbox.app.request_log) == before
