"""A bounded spec-driven fuzz run: Schemathesis generates requests from Adobe's own OpenAPI specs
(valid ones and malformed ones) for every operation the sandbox serves, and sends them to it
over HTTP. Whatever arrives, the sandbox answers as AEP does: a JSON answer, and never a 5xx
(malformed requests get a 4xx in AEP's error shape). Two inputs that once crashed it (a job id
that is not ASCII, a body that is not UTF-8) are kept as cases of their own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aep_pulumi.sandbox.specs import default_openapi_dir
from aep_pulumi.testing import TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_ORG, SandboxHandle

from ..conftest import requires_specs

schemathesis = pytest.importorskip("schemathesis", reason="pip install -e '.[dev]'")

# Each spec, the base path it is served under, and the operations the sandbox implements.
SERVED = {
    "segmentation.yaml": ("/data/core/ups", r"^/export/jobs"),
    "catalog.yaml": ("/data/foundation/catalog", r"^/(dataSets|batches)"),
    "data-access.yaml": ("/data/foundation/export", r"^/(batches|files)"),
    "profile.yaml": ("/data/core", r"^/ups/config/mergePolicies"),
}
# Requests per operation: enough to reach the malformed corners, bounded for the suite.
EXAMPLES = 25


def _operations() -> list[tuple[str, str, Any]]:
    folder = default_openapi_dir()
    if folder is None:
        return []
    found = []
    for spec, (base, wanted) in SERVED.items():
        schema = schemathesis.openapi.from_path(str(folder / spec))
        for result in schema.get_all_operations():
            operation = result.ok()
            if re.match(wanted, operation.path):
                found.append((spec, base, operation))
    return found


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def headers(live_sandbox: SandboxHandle) -> dict[str, str]:
    token = requests.post(
        f"{live_sandbox.url}/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
        },
        timeout=5,
    ).json()["access_token"]
    return {
        "Authorization": f"Bearer {token}",
        "x-api-key": TEST_CLIENT_ID,
        "x-gw-ims-org-id": TEST_ORG,
        "x-sandbox-name": "prod",
    }


@pytest.fixture(autouse=True)
def _no_latency(live_sandbox: SandboxHandle) -> Iterator[None]:
    yield
    live_sandbox.app.store.clear_spaces()


def _answers_like_aep(response: Any) -> None:
    """`response` is a `requests` one or Schemathesis's own (lower-case keys, lists of values)."""
    text = response.content.decode("utf-8", "replace")
    assert response.status_code < 500, (response.status_code, text[:300])
    if response.status_code != 204 and response.content:
        found = response.headers.get("content-type", "")
        content_type = found if isinstance(found, str) else " ".join(found)
        assert "json" in content_type or "octet-stream" in content_type, (
            response.status_code,
            content_type,
            text[:200],
        )
        assert not text.lstrip().startswith("<"), "an HTML error page"


@requires_specs
def test_the_fuzzed_operations_are_the_served_ones() -> None:
    labels = {f"{op.method.upper()} {op.path}" for _, _, op in OPERATIONS}
    assert {"POST /export/jobs", "GET /export/jobs/{EXPORT_JOB_ID}", "POST /dataSets"} <= labels


@requires_specs
@pytest.mark.parametrize(
    ("spec", "base", "operation"),
    OPERATIONS,
    ids=[f"{spec}:{op.method.upper()} {op.path}" for spec, _, op in OPERATIONS],
)
def test_every_generated_request_gets_an_aep_answer(
    live_sandbox: SandboxHandle,
    headers: dict[str, str],
    spec: str,
    base: str,
    operation: Any,
) -> None:
    session = requests.Session()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def send(case: Any) -> None:
        response = case.call(
            base_url=live_sandbox.url + base, session=session, headers=headers, timeout=10
        )
        _answers_like_aep(response)

    send()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/data/core/ups/export/jobs/%C2%B2"),
        ("DELETE", "/data/core/ups/export/jobs/%C2%B2"),
        ("GET", "/data/foundation/catalog/dataSets/%C2%B2"),
    ],
)
def test_an_id_that_is_not_ascii_is_a_400(
    live_sandbox: SandboxHandle, headers: dict[str, str], method: str, path: str
) -> None:
    response = requests.request(method, live_sandbox.url + path, headers=headers, timeout=5)
    assert 400 <= response.status_code < 500, response.text
    _answers_like_aep(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/data/core/ups/export/jobs"),
        ("POST", "/data/foundation/catalog/dataSets"),
        ("PATCH", "/data/foundation/catalog/dataSets/5b020a27e7040801dedba61b"),
    ],
)
@given(body=st.binary(min_size=1, max_size=64))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_body_that_is_not_utf8_json_is_a_400(
    live_sandbox: SandboxHandle, headers: dict[str, str], method: str, path: str, body: bytes
) -> None:
    content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
    response = requests.request(
        method,
        live_sandbox.url + path,
        headers={**headers, "Content-Type": content_type},
        data=b"\xff\xfe" + body,
        timeout=5,
    )
    assert 400 <= response.status_code < 500, response.text
    _answers_like_aep(response)
