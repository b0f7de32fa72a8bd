from __future__ import annotations

import pickle

import pytest

from aep_pulumi import AepSettings
from aep_pulumi.errors import AepConfigError

BASE = {"AEP_ORG_ID": "ORG@AdobeOrg", "AEP_CLIENT_ID": "cid", "AEP_CLIENT_SECRET": "shh-secret"}


def test_config_wins_over_env_and_defaults_apply() -> None:
    s = AepSettings.load(
        {"aep:orgId": "CFG@AdobeOrg", "aep:sandboxName": "dev"},
        {**BASE, "AEP_SANDBOX_NAME": "stage"},
    )
    assert s.org_id == "CFG@AdobeOrg"
    assert s.sandbox_name == "dev"
    assert s.endpoint == "https://platform.adobe.io"
    assert s.ims_endpoint == "https://ims-na1.adobelogin.com"
    assert s.api_key == "cid", "api key defaults to the client id"


def test_env_is_the_fallback() -> None:
    s = AepSettings.load({}, {**BASE, "AEP_API_KEY": "key2", "AEP_SANDBOX_NAME": "qa"})
    assert (s.api_key, s.sandbox_name, s.client_secret) == ("key2", "qa", "shh-secret")
    assert AepSettings.load({}, BASE).sandbox_name == "prod"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, "aep:orgId"),
        ({"AEP_ORG_ID": "o"}, "aep:clientId"),
        ({"AEP_ORG_ID": "o", "AEP_CLIENT_ID": "c"}, "aep:clientSecret"),
        ({"AEP_ORG_ID": "o", "AEP_ACCESS_TOKEN": "t"}, "aep:apiKey"),
    ],
)
def test_missing_keys_are_named(env: dict[str, str], names: str) -> None:
    with pytest.raises(AepConfigError, match=names):
        AepSettings.load({}, env)


def test_access_token_alone_needs_api_key_only() -> None:
    s = AepSettings.load({}, {"AEP_ORG_ID": "o", "AEP_ACCESS_TOKEN": "tok", "AEP_API_KEY": "k"})
    assert s.access_token == "tok" and s.client_id is None


@pytest.mark.parametrize(
    "url", ["http://platform.adobe.io", "http://10.0.0.5:8080", "ftp://x", "https://u:p@host"]
)
def test_unsafe_endpoints_are_refused(url: str) -> None:
    with pytest.raises(AepConfigError, match="aep:endpoint"):
        AepSettings.load({"aep:endpoint": url}, BASE)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:9", "https://x.example/"]
)
def test_loopback_http_and_https_are_accepted(url: str) -> None:
    assert AepSettings.load({"aep:endpoint": url}, BASE).endpoint == url.rstrip("/")


def test_bad_numbers_and_sandbox_are_named() -> None:
    with pytest.raises(AepConfigError, match="AEP_POLL_MAX_SECONDS"):
        AepSettings.load({}, {**BASE, "AEP_POLL_MAX_SECONDS": "soon"})
    with pytest.raises(AepConfigError, match="aep:sandboxName"):
        AepSettings.load({"aep:sandboxName": "Dev"}, BASE)


def test_secrets_stay_out_of_repr_describe_and_pickle() -> None:
    s = AepSettings.load({"aep:accessToken": "tok-123456"}, BASE)
    assert "shh-secret" not in repr(s) and "tok-123456" not in repr(s)
    assert "shh-secret" not in str(s.describe()) and s.describe()["client_secret"] == "<set>"
    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(s)
