"""pytest fixtures that fake AEP with the project's own sandbox (registered as a pytest plugin).

* ``aep_sandbox`` — the sandbox over real HTTP on 127.0.0.1 and a free port, stopped afterwards.
* ``aep_sandbox_inprocess`` — the same app, reached through ``responses`` (no socket at all):
  every ``requests`` call to ``https://aep.sandbox.test`` is routed into it.

Both need the ``testing`` extra (the sandbox, and ``responses`` for the in-process one: ``pip
install "aep-pulumi[testing]"``) and fail saying so when it is missing.

Both yield a :class:`~aep_pulumi.testing.SandboxHandle`: ``handle.env`` holds ``AEP_*``
variables that point this package (or a Pulumi program under test) at the sandbox,
``handle.use()`` applies them with ``monkeypatch``, ``handle.app`` exposes state, faults and spec
violations.

Loading this plugin imports nothing beyond pytest and the package itself (not the sandbox: an
extra), so an install of ``aep-pulumi`` never breaks an unrelated pytest run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
import urllib3.exceptions

from .. import extras
from .sandboxes import INPROCESS_URL, SandboxHandle, make_app, sandbox_env

if TYPE_CHECKING:
    from ..sandbox import SandboxApp


def _needs_the_testing_extra(fixture: str, *, without: str = "") -> None:
    """Fail the test, naming the extra, when what ``fixture`` needs is missing (``without``: a
    distribution of the extra it does without)."""
    absent = [dist for dist in extras.missing("testing") if dist != without]
    if absent:
        pytest.fail(extras.message(f"the {fixture} fixture", "testing", absent), pytrace=False)


def _route_into(app: SandboxApp, mock: Any, base_url: str) -> None:
    from werkzeug.test import Client

    from ..sandbox.app import DropConnection

    wsgi = Client(app)
    base_path = urlsplit(base_url)

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.url or "")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        body = request.body.encode() if isinstance(request.body, str) else request.body
        try:
            result = wsgi.open(
                parts.path,
                method=request.method or "GET",
                query_string=parts.query,
                headers=headers,
                data=body,
                base_url=f"{base_path.scheme}://{base_path.netloc}",
            )
        except DropConnection:
            # What requests raises when the server closes the socket without answering.
            raise requests.ConnectionError(
                urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError())
            ) from None
        out_headers = {
            k: v for k, v in result.headers.items() if k.lower() not in ("content-length",)
        }
        return (result.status_code, out_headers, result.get_data())

    pattern = re.compile(re.escape(base_url) + r"/.*")
    for method in ("GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"):
        mock.add_callback(method, pattern, callback=callback)


@pytest.fixture
def aep_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    """The sandbox over real HTTP on 127.0.0.1 (free port); jobs take 0.3 s."""
    _needs_the_testing_extra("aep_sandbox", without="responses")
    from ..sandbox import SandboxServer

    app = make_app()
    server = SandboxServer(app).start()
    try:
        yield SandboxHandle(server.url, app, sandbox_env(server.url), monkeypatch)
    finally:
        server.stop()


@pytest.fixture
def aep_sandbox_inprocess(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    """The sandbox reached through ``responses`` at ``https://aep.sandbox.test``; no sockets."""
    _needs_the_testing_extra("aep_sandbox_inprocess")
    import responses

    app = make_app()
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            _route_into(app, mock, INPROCESS_URL)
            yield SandboxHandle(INPROCESS_URL, app, sandbox_env(INPROCESS_URL), monkeypatch)
    finally:
        app.close()
