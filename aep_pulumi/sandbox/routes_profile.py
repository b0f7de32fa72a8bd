"""Real-Time Customer Profile configuration: ``/config/mergePolicies`` under ``/data/core/ups``."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .parts import AppParts
from .responses import json_response, ups_error

CONFIG = "/data/core/ups/config"

# Every sandbox's merge policies: the guide's policy is the profile class's default.
MERGE_POLICIES: tuple[dict[str, Any], ...] = (
    {
        "id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2",
        "name": "Default Timebased",
        "schema": {"name": "_xdm.context.profile"},
        "default": True,
        "version": 1,
    },
    {
        "id": "timestampOrdered-none-mp",
        "name": "Timestamp ordered, no identity stitching",
        "schema": {"name": "_xdm.context.profile"},
        "default": False,
        "version": 1,
    },
    {
        "id": "7a8f1a5d-0b7b-4ac5-9d37-8b4e6f1c2e10",
        "name": "Events default",
        "schema": {"name": "_xdm.context.experienceevent"},
        "default": True,
        "version": 2,
    },
)


class ProfileRoutes(AppParts):
    """Merge policies (mixed into :class:`~.app.SandboxApp`)."""

    def merge_policies(self, request: Request, *, sandbox: str, client_id: str) -> Response:
        schema_name = request.args.get("schema.name")
        default = request.args.get("default")
        if default not in (None, "true", "false"):
            return ups_error(400, "Bad Request", "default must be true or false")
        try:
            start = int(request.args.get("start") or 0)
            limit = max(1, min(int(request.args.get("limit") or 20), 100))
        except ValueError:
            return ups_error(400, "Bad Request", "start and limit must be whole numbers")
        policies = [
            {
                **p,
                "imsOrgId": request.headers["x-gw-ims-org-id"],
                "sandbox": {"sandboxName": sandbox, "sandboxId": sandbox, "type": "development"},
                "identityGraph": {"type": "none"},
                "attributeMerge": {"type": "timestampOrdered"},
                "isActiveOnEdge": False,
                "updateEpoch": 1_700_000_000,
            }
            for p in MERGE_POLICIES
            if (schema_name is None or p["schema"]["name"] == schema_name)
            and (default is None or p["default"] == (default == "true"))
        ]
        page = policies[start : start + limit]
        following = str(start + limit) if start + limit < len(policies) else None
        body = {
            "_page": {"count": len(page), **({"next": following} if following else {})},
            "children": page,
        }
        return json_response(body)
