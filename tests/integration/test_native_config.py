"""The plugin's configuration as the engine drives it over gRPC: `CheckConfig` checks every
`aep:` key on every preview (naming the key, suggesting the closest one, never showing a
secret), keeps credentials secret in the provider's stored inputs, and `DiffConfig` tells the
engine what a change means (an update the next operation runs on; a new organization replaces
the provider)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from aep_pulumi.native.properties import SECRET_SIG, SIG, decode, encode
from aep_pulumi.testing import NativeHost, SandboxHandle, native_host_for

PROVIDER_URN = "urn:pulumi:test::aep-test::pulumi:providers:aep::default_0_1_0"


@pytest.fixture(scope="module")
def native(live_sandbox: SandboxHandle) -> Iterator[NativeHost]:
    with native_host_for(live_sandbox) as plugin:
        yield plugin


def check_config(native: NativeHost, news: dict[str, Any]) -> tuple[Any, list[str]]:
    """The checked inputs (as sent back) and every failure's reason (none names a property:
    the engine would print the value beside it, and these may be secrets)."""
    answer = native.stub.CheckConfig(
        provider_pb2.CheckRequest(urn=PROVIDER_URN, olds=encode({}), news=encode(news))
    )
    assert all(not f.property for f in answer.failures)
    return answer.inputs, [f.reason for f in answer.failures]


def diff_config(native: NativeHost, olds: dict[str, Any], news: dict[str, Any]) -> Any:
    return native.stub.DiffConfig(
        provider_pb2.DiffRequest(urn=PROVIDER_URN, olds=encode(olds), news=encode(news))
    )


GOOD = {"orgId": "org@AdobeOrg", "clientId": "client", "endpoint": "https://platform.adobe.io"}


def test_good_configuration_passes_with_the_engines_own_names_and_typed_values(
    native: NativeHost,
) -> None:
    typed = {**GOOD, "version": "0.1.0", "requireClaims": False, "httpTimeoutSeconds": 30.0}
    _, failures = check_config(native, typed)
    assert failures == []
    _, failures = check_config(native, {"sandboxName": "dev", "maxRetries": "3"})
    assert failures == [], "missing credentials are for `up` to say, not a preview"


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        (
            {"endpoint": "http://aep.example.com"},
            "`aep:endpoint` (or env AEP_ENDPOINT) uses plain http:// to aep.example.com",
        ),
        (
            {"endpont": "https://x"},
            "`aep:endpont` is not a configuration key of the aep "
            "provider; did you mean `aep:endpoint`?",
        ),
        ({"clientSecrte": "s"}, "did you mean `aep:clientSecret`?"),
        ({"zzz": "1"}, "`aep:zzz` is not a configuration key of the aep provider (its keys: "),
        (
            {"httpTimeoutSeconds": "soon"},
            "`aep:httpTimeoutSeconds` (or env "
            "AEP_HTTP_TIMEOUT_SECONDS) must be a number, got 'soon'",
        ),
        ({"maxRetries": -1.0}, "`aep:maxRetries` (or env AEP_MAX_RETRIES) must be 0 or more"),
        (
            {"requireClaims": "maybe"},
            "`aep:requireClaims` (or env AEP_REQUIRE_CLAIMS) must be true or false, got 'maybe'",
        ),
        (
            {"sandboxName": "Prod"},
            "`aep:sandboxName` (or env AEP_SANDBOX_NAME) must be the "
            "all-lower-case sandbox name, got 'Prod'",
        ),
        ({"endpoint": ["https://x"]}, "`aep:endpoint` must be text, a number or a boolean"),
    ],
)
def test_each_bad_key_is_a_failure_naming_it(
    native: NativeHost, news: dict[str, Any], expected: str
) -> None:
    _, failures = check_config(native, {**GOOD, **news})
    assert len(failures) == 1 and expected in failures[0], failures


def test_a_bad_secret_is_named_and_never_shown(native: NativeHost) -> None:
    secret = "s3cr3t-value\n"
    news = {**GOOD, "clientSecret": {SIG: SECRET_SIG, "value": secret}}
    _, failures = check_config(native, news)
    assert len(failures) == 1 and "`aep:clientSecret`" in failures[0]
    assert "a line break" in failures[0] and "s3cr3t" not in failures[0]


def test_credentials_stay_secret_in_the_stored_inputs_however_they_were_given(
    native: NativeHost,
) -> None:
    inputs, failures = check_config(native, {**GOOD, "clientSecret": "plain", "accessToken": "t"})
    assert failures == []
    stored, secrets = decode(inputs)
    assert secrets == {"clientSecret", "accessToken"}
    assert stored["clientSecret"] == "plain" and stored["endpoint"] == GOOD["endpoint"]


def test_unknown_values_of_an_explicit_provider_pass_the_check(native: NativeHost) -> None:
    inputs, failures = check_config(native, {**GOOD, "endpoint": rpc.UNKNOWN})
    assert failures == []
    assert inputs["endpoint"] == rpc.UNKNOWN


@pytest.mark.parametrize(
    ("change", "updates", "replaces"),
    [
        ({"endpoint": "https://other.example.com"}, ["endpoint"], []),
        ({"clientSecret": "rotated"}, ["clientSecret"], []),
        ({"pollMaxSeconds": "5"}, ["pollMaxSeconds"], []),
        ({"sandboxName": "dev"}, ["sandboxName"], []),
        ({"orgId": "other@AdobeOrg"}, [], ["orgId"]),
        ({"endpoint": rpc.UNKNOWN}, ["endpoint"], []),
        ({"version": "0.2.0"}, [], []),
        ({"httpTimeoutSeconds": 30.0}, [], []),
    ],
)
def test_diff_config_says_what_a_change_does(
    native: NativeHost, change: dict[str, Any], updates: list[str], replaces: list[str]
) -> None:
    olds = {**GOOD, "clientSecret": "s", "version": "0.1.0", "httpTimeoutSeconds": "30"}
    answer = diff_config(native, olds, {**olds, **change})
    some = provider_pb2.DiffResponse.DIFF_SOME
    none = provider_pb2.DiffResponse.DIFF_NONE
    assert answer.changes == (some if updates or replaces else none)
    assert list(answer.replaces) == replaces
    assert sorted(answer.diffs) == sorted(updates + replaces)
    kinds = {k: v.kind for k, v in answer.detailedDiff.items()}
    update, replace = provider_pb2.PropertyDiff.UPDATE, provider_pb2.PropertyDiff.UPDATE_REPLACE
    assert kinds == {**dict.fromkeys(updates, update), **dict.fromkeys(replaces, replace)}


def test_a_key_removed_from_config_is_a_change_too(native: NativeHost) -> None:
    answer = diff_config(native, {**GOOD, "pollMaxSeconds": "5"}, GOOD)
    assert list(answer.diffs) == ["pollMaxSeconds"]
