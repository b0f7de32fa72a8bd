"""IMS: ``POST /ims/token/v3`` (OAuth server-to-server client credentials)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from .parts import AppParts
from .responses import json_response


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


class ImsRoutes(AppParts):
    """Token requests (mixed into :class:`~.app.SandboxApp`)."""

    def ims_token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "grant_type must be client_credentials"
            )
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not client_id or not secret:
            return _oauth_error(400, "invalid_request", "client_id and client_secret are required")
        expected = self.config.credentials
        if expected is not None and expected.get(client_id) != secret:
            return _oauth_error(401, "invalid_client", "invalid client_id or client_secret")
        token, ttl = self.store.issue_token(client_id)
        return json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": int(ttl)}
        )
