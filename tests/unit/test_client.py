"""AepClient against HTTP faked with `responses`: headers, bodies, retries, tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses
import urllib3.exceptions
from responses import matchers

from aep_pulumi import AepClient, AepSettings
from aep_pulumi.aep.ims import StaticToken
from aep_pulumi.aep.models import DatasetCreateRequest, ExportJobRequest, SchemaRef
from aep_pulumi.errors import (
    AepAmbiguousResultError,
    AepAuthError,
    AepConfigError,
    AepConnectionError,
    AepError,
    AepNotFoundError,
    AepResponseError,
    AepServerError,
)

from ..conftest import seed_sample

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com/ims/token/v3"
ENV = {
    "AEP_ORG_ID": "ORG@AdobeOrg",
    "AEP_CLIENT_ID": "cid",
    "AEP_CLIENT_SECRET": "s3cr3t-value",
    "AEP_SANDBOX_NAME": "dev",
}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(**env: str) -> tuple[AepClient, Sleeps]:
    sleeps = Sleeps()
    return AepClient(AepSettings.load({}, {**ENV, **env}), sleep=sleeps), sleeps


def token_reply(token: str = "tok-1", expires_in: int = 86399) -> dict[str, Any]:
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in}


JOB = seed_sample("create_job_response")
JOB_REQUEST = ExportJobRequest.model_validate(seed_sample("create_job_request"))


@responses.activate
def test_headers_and_token_form_on_every_call() -> None:
    ims = responses.post(
        IMS,
        json=token_reply(),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "client_credentials",
                    "client_id": "cid",
                    "client_secret": "s3cr3t-value",
                    "scope": AepSettings.load({}, ENV).scopes,
                }
            )
        ],
    )
    call = responses.get(
        f"{BASE}/data/core/ups/export/jobs/24115",
        json=JOB,
        match=[
            matchers.header_matcher(
                {
                    "Authorization": "Bearer tok-1",
                    "x-api-key": "cid",
                    "x-gw-ims-org-id": "ORG@AdobeOrg",
                    "x-sandbox-name": "dev",
                }
            )
        ],
    )
    client, _ = make_client()
    job = client.get_export_job(24115)
    assert job.id == 24115 and job.batch_id == "da5cfb4de32c4b93a09f7e37fa53ad52"
    assert ims.call_count == 1 and call.call_count == 1


@responses.activate
def test_per_call_sandbox_overrides_the_configured_one() -> None:
    responses.post(IMS, json=token_reply())
    responses.get(
        f"{BASE}/data/core/ups/export/jobs/1",
        json={**JOB, "id": 1},
        match=[matchers.header_matcher({"x-sandbox-name": "qa"})],
    )
    client, _ = make_client()
    assert client.get_export_job(1, sandbox="qa").id == 1


@responses.activate
def test_create_dataset_body_and_id_from_either_spelling() -> None:
    responses.post(IMS, json=token_reply())
    body = seed_sample("create_dataset_request")
    responses.post(
        f"{BASE}/data/foundation/catalog/dataSets",
        status=201,
        json=["@/datasets/5b020a27e7040801dedba61b"],
        match=[matchers.json_params_matcher(body)],
    )
    client, _ = make_client()
    request = DatasetCreateRequest(name=body["name"], schemaRef=SchemaRef(**body["schemaRef"]))
    assert client.create_dataset(request) == "5b020a27e7040801dedba61b"
    responses.post(
        f"{BASE}/data/foundation/catalog/dataSets", status=201, json=["@/dataSets/ABCdef123"]
    )
    assert client.create_dataset(request) == "ABCdef123"


@responses.activate
def test_create_export_job_sends_the_guides_body_and_parses_200() -> None:
    responses.post(IMS, json=token_reply())
    responses.post(
        f"{BASE}/data/core/ups/export/jobs",
        status=200,
        json=JOB,
        match=[matchers.json_params_matcher(seed_sample("create_job_request"))],
    )
    client, _ = make_client()
    job = client.create_export_job(JOB_REQUEST)
    assert job.status == "NEW" and job.dataset_id == "5cf6bcf79ecc7c14530fe436"


@responses.activate
def test_get_is_retried_on_5xx_with_capped_backoff() -> None:
    responses.post(IMS, json=token_reply())
    url = f"{BASE}/data/core/ups/export/jobs/7"
    for status in (500, 502, 503):
        responses.get(url, status=status, json={"error_code": "5000", "message": "boom"})
    responses.get(url, json={**JOB, "id": 7})
    client, sleeps = make_client()
    assert client.get_export_job(7).id == 7
    assert len(sleeps) == 3 and all(0 < s <= 30 for s in sleeps)
    assert sleeps[2] > sleeps[0] / 2, "backoff grows"


@responses.activate
def test_retries_give_up_with_a_typed_error() -> None:
    responses.post(IMS, json=token_reply())
    responses.get(
        f"{BASE}/data/core/ups/export/jobs/7",
        status=503,
        json={"error_code": "503001", "message": "down"},
    )
    client, sleeps = make_client(AEP_MAX_RETRIES="2")
    with pytest.raises(AepServerError, match=r"HTTP 503 \[503001\] down"):
        client.get_export_job(7)
    assert len(sleeps) == 2


@responses.activate
def test_throttling_honours_retry_after_ms_and_header() -> None:
    responses.post(IMS, json=token_reply())
    url = f"{BASE}/data/core/ups/export/jobs/8"
    responses.get(
        url, status=429, json={"message": "slow down", "retryAfterMs": 1500, "statusCode": "429"}
    )
    responses.get(url, status=429, json={"message": "slow down"}, headers={"Retry-After": "3"})
    responses.get(url, json={**JOB, "id": 8})
    client, sleeps = make_client()
    client.get_export_job(8)
    assert sleeps == [1.5, 3.0]


@responses.activate
def test_post_is_retried_on_429_only() -> None:
    responses.post(IMS, json=token_reply())
    url = f"{BASE}/data/core/ups/export/jobs"
    responses.post(url, status=429, json={"message": "slow", "retryAfterMs": 10})
    ok = responses.post(url, json=JOB)
    client, sleeps = make_client()
    assert client.create_export_job(JOB_REQUEST).id == 24115
    assert sleeps == [0.01] and ok.call_count == 1


@responses.activate
def test_post_is_not_retried_after_a_5xx() -> None:
    responses.post(IMS, json=token_reply())
    url = f"{BASE}/data/core/ups/export/jobs"
    failing = responses.post(url, status=503, json={"error_code": "503", "message": "busy"})
    client, sleeps = make_client()
    with pytest.raises(AepServerError, match="may have been applied"):
        client.create_export_job(JOB_REQUEST)
    assert failing.call_count == 1 and sleeps == []


@responses.activate
@pytest.mark.parametrize(
    "exc",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError(
            urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError())
        ),
    ],
)
def test_post_is_not_retried_when_the_outcome_is_unknown(exc: Exception) -> None:
    responses.post(IMS, json=token_reply())
    url = f"{BASE}/data/foundation/catalog/dataSets"
    failing = responses.post(url, body=exc)
    client, sleeps = make_client()
    with pytest.raises(AepAmbiguousResultError, match="not retried"):
        client.create_dataset(
            DatasetCreateRequest(name="x", schemaRef=SchemaRef(id="https://a", contentType="b"))
        )
    assert failing.call_count == 1 and sleeps == []


@responses.activate
def test_post_is_retried_when_the_connection_never_opened() -> None:
    responses.post(IMS, json=token_reply())
    url = f"{BASE}/data/core/ups/export/jobs"
    never_sent = requests.ConnectionError(
        urllib3.exceptions.MaxRetryError(
            None, url, urllib3.exceptions.NewConnectionError(None, "refused")
        )
    )
    responses.post(url, body=never_sent)
    responses.post(url, body=requests.ConnectTimeout("connect timed out"))
    responses.post(url, json=JOB)
    client, sleeps = make_client()
    assert client.create_export_job(JOB_REQUEST).id == 24115
    assert len(sleeps) == 2


@responses.activate
def test_get_is_retried_on_connection_errors_then_fails_clearly() -> None:
    responses.post(IMS, json=token_reply())
    responses.get(f"{BASE}/data/core/ups/export/jobs/9", body=requests.ReadTimeout("slow"))
    client, sleeps = make_client(AEP_MAX_RETRIES="3")
    with pytest.raises(AepConnectionError, match="no answer after 4 attempts"):
        client.get_export_job(9)
    assert len(sleeps) == 3


@responses.activate
def test_a_401_renews_the_token_once() -> None:
    ims = responses.post(IMS, json=token_reply("old"))
    responses.post(IMS, json=token_reply("new"))
    url = f"{BASE}/data/core/ups/export/jobs/5"
    responses.get(
        url,
        status=401,
        json={"error_code": "401013", "message": "Oauth token is not valid"},
        match=[matchers.header_matcher({"Authorization": "Bearer old"})],
    )
    responses.get(
        url, json={**JOB, "id": 5}, match=[matchers.header_matcher({"Authorization": "Bearer new"})]
    )
    client, _ = make_client()
    assert client.get_export_job(5).id == 5
    assert ims.call_count == 1 and len(responses.calls) == 4


@responses.activate
def test_a_second_401_is_an_auth_error_without_the_token() -> None:
    responses.post(IMS, json=token_reply("tok-secret-abc"))
    responses.get(
        f"{BASE}/data/core/ups/export/jobs/5",
        status=401,
        json={"error_code": "401013", "message": "Oauth token is not valid"},
    )
    client, _ = make_client()
    with pytest.raises(AepAuthError) as info:
        client.get_export_job(5)
    assert (
        "401013" in str(info.value)
        and "tok-secret-abc" not in str(info.value)
        and "s3cr3t" not in str(info.value)
    )


@responses.activate
def test_token_is_cached_and_renewed_before_expiry() -> None:
    ims = responses.post(IMS, json=token_reply("t", expires_in=100))
    responses.get(f"{BASE}/data/core/ups/export/jobs/5", json={**JOB, "id": 5})
    now = [1000.0]
    client, _ = make_client()
    client.tokens._clock = lambda: now[0]  # type: ignore[attr-defined]
    client.get_export_job(5)
    client.get_export_job(5)
    assert ims.call_count == 1
    now[0] += 89  # 100 s lifetime, renewed 10 s early
    client.get_export_job(5)
    assert ims.call_count == 1
    now[0] += 2
    client.get_export_job(5)
    assert ims.call_count == 2


@responses.activate
def test_ims_rejection_is_an_auth_error_without_the_secret() -> None:
    responses.post(
        IMS,
        status=400,
        json={"error": "invalid_client", "error_description": "invalid client_secret parameter"},
    )
    client, _ = make_client()
    with pytest.raises(AepAuthError, match="invalid client_secret parameter") as info:
        client.get_export_job(1)
    assert "s3cr3t-value" not in str(info.value)


@responses.activate
def test_static_token_is_used_as_is() -> None:
    responses.get(
        f"{BASE}/data/core/ups/export/jobs/3",
        json={**JOB, "id": 3},
        match=[matchers.header_matcher({"Authorization": "Bearer ready", "x-api-key": "key"})],
    )
    client = AepClient(
        AepSettings.load({}, {"AEP_ORG_ID": "o", "AEP_ACCESS_TOKEN": "ready", "AEP_API_KEY": "key"})
    )
    assert client.get_export_job(3).id == 3


@pytest.mark.parametrize("bad", ["../x", "a/b", "1?x=1", "", "x y", "%2e%2e"])
def test_ids_cannot_inject_paths_or_queries(bad: str) -> None:
    client, _ = make_client()
    with pytest.raises(AepError, match="invalid"):
        client.get_dataset(bad)
    with pytest.raises(AepError, match="invalid export job id"):
        client.get_export_job(bad)


@responses.activate
def test_get_dataset_reads_the_keyed_object_and_404() -> None:
    responses.post(IMS, json=token_reply())
    responses.get(
        f"{BASE}/data/foundation/catalog/dataSets/abc",
        json={"abc": {"name": "n", "created": 1, "updated": 2, "tags": {"a": ["b"]}}},
    )
    responses.get(
        f"{BASE}/data/foundation/catalog/dataSets/gone",
        status=404,
        json={"title": "Not Found", "detail": "no dataset gone", "status": 404},
    )
    client, _ = make_client()
    record = client.get_dataset("abc")
    assert (record.name, record.created, record.tags) == ("n", 1, {"a": ["b"]})
    with pytest.raises(AepNotFoundError, match="no dataset gone"):
        client.get_dataset("gone")


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "existed"),
    [(200, ["@/dataSets/d1"], True), (200, [], False), (404, {"title": "Not Found"}, False)],
)
def test_delete_dataset_tolerates_unknown_ids(status: int, body: object, existed: bool) -> None:
    responses.post(IMS, json=token_reply())
    responses.delete(f"{BASE}/data/foundation/catalog/dataSets/d1", status=status, json=body)
    client, _ = make_client()
    assert client.delete_dataset("d1") is existed


@responses.activate
@pytest.mark.parametrize(
    ("status", "kwargs"),
    [(200, {"json": {"status": True, "message": "marked for cancelling"}}), (204, {"body": b""})],
)
def test_cancel_accepts_200_and_204(status: int, kwargs: dict[str, Any]) -> None:
    responses.post(IMS, json=token_reply())
    responses.delete(f"{BASE}/data/core/ups/export/jobs/726", status=status, **kwargs)
    responses.delete(
        f"{BASE}/data/core/ups/export/jobs/727", status=404, json={"title": "Not Found"}
    )
    client, _ = make_client()
    assert client.cancel_export_job(726) is True
    assert client.cancel_export_job(727) is False


@responses.activate
def test_listing_follows_link_next_until_empty() -> None:
    responses.post(IMS, json=token_reply())
    page1 = seed_sample("list_jobs_response")
    page2 = {"records": [{**page1["records"][0], "id": 700}], "page": {}, "link": {"next": ""}}
    url = f"{BASE}/data/core/ups/export/jobs"
    responses.get(url, json=page1, match=[matchers.query_param_matcher({"limit": "2"})])
    responses.get(
        url,
        json=page2,
        match=[matchers.query_param_matcher({"limit": "2", "offset": "1538573416687_722"})],
    )
    client, _ = make_client()
    assert [j.id for j in client.iter_export_jobs(limit=2)] == [726, 722, 700]


@responses.activate
def test_listing_refuses_links_to_other_hosts() -> None:
    responses.post(IMS, json=token_reply())
    page = {
        **seed_sample("list_jobs_response"),
        "link": {"next": "https://evil.example/export/jobs?offset=1_1"},
    }
    responses.get(f"{BASE}/data/core/ups/export/jobs", json=page)
    client, _ = make_client()
    with pytest.raises(AepResponseError, match="refusing to follow"):
        list(client.iter_export_jobs(limit=2))


@responses.activate
def test_malformed_success_bodies_are_clear_errors() -> None:
    responses.post(IMS, json=token_reply())
    responses.get(
        f"{BASE}/data/core/ups/export/jobs/4", body=b'{"id": ', content_type="application/json"
    )
    responses.get(f"{BASE}/data/core/ups/export/jobs/5", json={"status": "NEW"})
    client, _ = make_client()
    with pytest.raises(AepResponseError, match="not JSON"):
        client.get_export_job(4)
    with pytest.raises(AepResponseError, match="unexpected response body"):
        client.get_export_job(5)


def test_client_refuses_to_be_pickled() -> None:
    import pickle

    client, _ = make_client()
    with pytest.raises(TypeError):
        pickle.dumps(client)
    assert "s3cr3t" not in repr(client) and "s3cr3t" not in repr(client.tokens)
    assert json.dumps(client.settings.describe()).count("s3cr3t") == 0


# ---------------------------------------------------------------- IMS and AEP's clock (#15)


@responses.activate
def test_ims_5xx_and_dropped_connections_are_retried_like_reads() -> None:
    ims = responses.post(IMS, status=503, json={"error_code": "503", "message": "down"})
    responses.post(IMS, body=requests.ConnectionError("reset"))
    responses.post(IMS, json=token_reply("after-outage"))
    responses.get(
        f"{BASE}/data/core/ups/export/jobs/5",
        json={**JOB, "id": 5},
        match=[matchers.header_matcher({"Authorization": "Bearer after-outage"})],
    )
    client, sleeps = make_client()
    assert client.get_export_job(5).id == 5
    assert ims.call_count == 1 and len(sleeps) == 2


@responses.activate
def test_an_ims_outage_outlasting_the_retries_is_a_server_error_not_a_refusal() -> None:
    responses.post(IMS, status=503, json={"error_code": "503", "message": "down"})
    client, _ = make_client(AEP_MAX_RETRIES="2")
    with pytest.raises(AepServerError, match="IMS token request: HTTP 503") as info:
        client.get_export_job(5)
    assert not isinstance(info.value, AepAuthError)


@responses.activate
def test_the_date_of_an_ims_answer_sets_aeps_clock() -> None:
    responses.post(IMS, json=token_reply(), headers={"Date": "Mon, 30 Nov 2026 10:00:00 GMT"})
    responses.get(f"{BASE}/data/core/ups/export/jobs/5", json={**JOB, "id": 5})
    client, _ = make_client()
    assert client.server_clock_offset_ms is None
    client.get_export_job(5)  # the job's answer carries no Date: only IMS's told the clock
    offset = client.server_clock_offset_ms
    assert offset is not None and offset < -24 * 3600 * 1000, offset


@pytest.mark.parametrize(
    ("variable", "key"),
    [
        ("AEP_ACCESS_TOKEN", "aep:accessToken"),
        ("AEP_CLIENT_SECRET", "aep:clientSecret"),
        ("AEP_ORG_ID", "aep:orgId"),
    ],
)
def test_a_credential_with_a_line_break_is_refused_before_anything_is_sent(
    variable: str, key: str
) -> None:
    env = {**ENV, "AEP_ACCESS_TOKEN": "tok", "AEP_API_KEY": "k", variable: "value-0123\n"}
    with pytest.raises(AepConfigError) as info:
        AepSettings.load({}, env)
    text = str(info.value)
    assert key in text and "a line break" in text and "nothing was sent" in text
    assert "value-0123" not in text, "the value itself is never shown"


@responses.activate
def test_a_header_requests_cannot_send_fails_at_once_as_never_sent() -> None:
    client = AepClient(
        AepSettings.load({}, {"AEP_ORG_ID": "o", "AEP_ACCESS_TOKEN": "ready", "AEP_API_KEY": "k"}),
        token_source=StaticToken("bad\ntoken"),
    )
    with pytest.raises(AepConfigError, match="nothing was sent") as info:
        client.create_export_job(JOB_REQUEST)
    assert not info.value.maybe_applied and len(responses.calls) == 0


@responses.activate
def test_requests_in_flight_are_bounded() -> None:
    """The native plugin's bound towards AEP: never more requests out at once than allowed."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    responses.post(IMS, json=token_reply())
    lock, out, most = threading.Lock(), [0], [0]

    def slow(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        with lock:
            out[0] += 1
            most[0] = max(most[0], out[0])
        time.sleep(0.05)
        with lock:
            out[0] -= 1
        return 200, {}, json.dumps(seed_sample("get_job_response"))

    responses.add_callback(responses.GET, f"{BASE}/data/core/ups/export/jobs/24115", callback=slow)
    client = AepClient(AepSettings.load({}, ENV), requests_at_once=3)
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda _: client.get_export_job(24115), range(24)))
    assert most[0] == 3
