from __future__ import annotations

import pytest
import requests
import responses

from aep_pulumi.aep.error_bodies import error_from_response, parse_error_body
from aep_pulumi.errors import (
    AepAuthError,
    AepBadRequestError,
    AepNotFoundError,
    AepServerError,
    AepThrottledError,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error_code": "401013", "message": "Oauth token is not valid"},
            ("401013", "Oauth token is not valid", None),
        ),
        (
            {
                "type": "http://ns.adobe.com/aep/errors/CAT-404",
                "title": "Not Found",
                "status": 404,
                "detail": "no dataset",
                "report": {"requestId": "r-1"},
            },
            # The code is the type URI's last part; the request id may sit in `report`.
            ("CAT-404", "Not Found: no dataset", "r-1"),
        ),
        (
            {
                "requestId": "r-1",
                "errors": [{"code": "UPS-1", "message": "bad field"}],
                "type": "t",
                "title": "Bad Request",
                "status": 400,
            },
            ("UPS-1", "Bad Request: bad field", "r-1"),
        ),
        (
            {"message": "Too many requests", "retryAfterMs": 300, "statusCode": "429"},
            (None, "Too many requests", None),
        ),
        ([{"code": "C1", "message": "catalog list shape"}], ("C1", "catalog list shape", None)),
        ("not an object", (None, None, None)),
    ],
)
def test_every_error_shape_is_understood(body: object, expected: tuple[object, ...]) -> None:
    assert parse_error_body(body) == expected


@responses.activate
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, AepBadRequestError),
        (401, AepAuthError),
        (403, AepAuthError),
        (404, AepNotFoundError),
        (422, AepBadRequestError),
        (429, AepThrottledError),
        (503, AepServerError),
    ],
)
def test_error_message_carries_status_code_message_and_request_id(status: int, cls: type) -> None:
    responses.get(
        "https://h.example/x",
        status=status,
        json={
            "requestId": "req-77",
            "errors": [{"code": "E42", "message": "it broke"}],
            "title": "Oops",
        },
        headers={"x-request-id": "hdr-99"},
    )
    err = error_from_response(requests.get("https://h.example/x", timeout=1), "get thing")
    assert isinstance(err, cls)
    text = str(err)
    assert f"HTTP {status}" in text and "[E42]" in text and "it broke" in text and "hdr-99" in text
    assert text.startswith("get thing:")


@responses.activate
def test_html_error_pages_do_not_flood_the_message() -> None:
    responses.get(
        "https://h.example/x", status=502, body="<html>" + "x" * 5000, content_type="text/html"
    )
    err = error_from_response(requests.get("https://h.example/x", timeout=1), "op")
    assert "HTTP 502" in str(err) and len(str(err)) < 200


def test_ims_oauth_errors_carry_their_code() -> None:
    from aep_pulumi.aep.error_bodies import parse_error_body

    body = {"error": "invalid_client", "error_description": "invalid client_id or client_secret"}
    assert parse_error_body(body) == ("invalid_client", "invalid client_id or client_secret", None)
    assert parse_error_body({"error": "server exploded"}) == (None, "server exploded", None)
