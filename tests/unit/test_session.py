"""The client's HTTP session reads the environment's network settings as requests does (proxies,
``NO_PROXY``, the CA bundle), but never takes credentials from ``~/.netrc``: AEP gets our bearer
token, whatever the user's netrc says about its host."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from aep_pulumi.aep.client import AepClient
from aep_pulumi.errors import AepConnectionError
from aep_pulumi.settings import AepSettings
from aep_pulumi.testing import SandboxHandle


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_netrc_entry_for_aeps_host_does_not_replace_the_bearer_token(
    aep_sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password something\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert requests.utils.get_netrc_auth(aep_sandbox.url) == ("someone", "something")
    policies = aep_sandbox.client().list_merge_policies()
    assert policies, "the sandbox answered: it got a bearer token, not Basic credentials"


def test_proxy_variables_still_apply_and_no_proxy_still_bypasses(
    aep_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_dead_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(AepConnectionError, match="ProxyError"):
        aep_sandbox.client(AEP_MAX_RETRIES="0").list_merge_policies()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert aep_sandbox.client(AEP_MAX_RETRIES="0").list_merge_policies()


class _RecordingAdapter(requests.adapters.HTTPAdapter):
    """Answers every request with a job and notes what it was asked to verify with."""

    def __init__(self) -> None:
        super().__init__()
        self.verify: list[Any] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.verify.append(kwargs.get("verify"))
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"id": 1, "status": "NEW"}'
        response.headers["Content-Type"] = "application/json"
        response.request = request
        return response


def _client_with(adapter: _RecordingAdapter) -> AepClient:
    client = AepClient(
        AepSettings.load({}, {"AEP_ORG_ID": "o", "AEP_ACCESS_TOKEN": "t", "AEP_API_KEY": "k"})
    )
    client.session.mount("https://", adapter)
    return client


def test_tls_verification_is_always_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    adapter = _RecordingAdapter()
    _client_with(adapter).get_export_job(1)
    assert adapter.verify and all(v is not False for v in adapter.verify)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_variable_says_what_to_trust(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("", encoding="utf-8")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv(variable, str(bundle))
    adapter = _RecordingAdapter()
    _client_with(adapter).get_export_job(1)
    assert adapter.verify == [str(bundle)]
