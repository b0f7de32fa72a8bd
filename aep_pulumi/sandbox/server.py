"""Serving the sandbox app over real HTTP on loopback, in a background thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp


class _QuietHandler(WSGIRequestHandler):
    """The app logs one credential-free line per call; silence werkzeug's own access log."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        return

    def send_response(self, code: int, message: str | None = None) -> None:
        # The app sends AEP's `Date` (its clock may be offset): the server adds none of its own.
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            super().log(type, message, *args)


class SandboxServer:
    """A running sandbox: ``url`` is what ``AEP_ENDPOINT`` and ``AEP_IMS_ENDPOINT`` point at."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        # Request threads must not keep the process alive after stop().
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="aep-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.app.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
