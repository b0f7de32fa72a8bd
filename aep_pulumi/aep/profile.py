"""Real-Time Customer Profile configuration (``/data/core/ups/config``): merge policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import AepResponseError
from .models import MergePolicyRecord, parse_model
from .transport import Transport

CONFIG = "/data/core/ups/config"
# Pages followed at most (100 policies a page is far more than a sandbox has).
MAX_PAGES = 100


class ProfileApi:
    """Merge policies (mixed into :class:`~aep_pulumi.aep.client.AepClient`)."""

    transport: Transport

    def list_merge_policies(
        self,
        *,
        schema_name: str | None = None,
        default: bool | None = None,
        sandbox: str | None = None,
    ) -> list[MergePolicyRecord]:
        """``GET /config/mergePolicies`` (every page), optionally of one schema class, or only
        the default ones."""
        op = "list merge policies"
        params: dict[str, Any] = {"limit": 100}
        if schema_name:
            params["schema.name"] = schema_name
        if default is not None:
            params["default"] = "true" if default else "false"
        found: list[MergePolicyRecord] = []
        for _ in range(MAX_PAGES):
            body = self.transport.json(
                self.transport.request(
                    "GET", f"{CONFIG}/mergePolicies", operation=op, params=params, sandbox=sandbox
                ),
                op,
            )
            if not isinstance(body, Mapping) or not isinstance(body.get("children"), list):
                raise AepResponseError("expected {_page, children}", operation=op)
            found.extend(parse_model(MergePolicyRecord, item, op) for item in body["children"])
            page = body.get("_page") if isinstance(body.get("_page"), Mapping) else {}
            following = (page or {}).get("next")
            if not following or not body["children"]:
                return found
            params["start"] = str(following)
        return found
