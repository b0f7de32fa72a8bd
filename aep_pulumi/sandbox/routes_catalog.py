"""Catalog: ``/dataSets`` and ``/batches`` under ``/data/foundation/catalog``."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .parts import AppParts
from .responses import catalog_error, json_response

CATALOG = "/data/foundation/catalog"


def _tag_filter(items: list[tuple[str, Any]], clauses: str) -> list[tuple[str, Any]]:
    """Catalog's ``tags=key:value,key2:*`` filter."""
    for clause in clauses.split(","):
        key, _, value = clause.partition(":")
        items = [
            (k, v)
            for k, v in items
            if key in (v.get("tags") or {}) and (value in ("", "*") or value in v["tags"][key])
        ]
    return items


class CatalogRoutes(AppParts):
    """Datasets and batches (mixed into :class:`~.app.SandboxApp`)."""

    def datasets(self, request: Request, *, sandbox: str, client_id: str) -> Response:
        if request.method == "POST":
            body = self.body_of(request)
            if not isinstance(body, dict) or not body.get("name"):
                return catalog_error(400, "Bad Request", "name is required")
            if not (body.get("schemaRef") or {}).get("id"):
                return catalog_error(400, "Bad Request", "schemaRef.id is required")
            org = request.headers["x-gw-ims-org-id"]
            dataset_id = self.store.create_dataset(sandbox, body, org, client_id)
            return json_response(
                [f"@/dataSets/{dataset_id}"],
                201,
                {"Location": f"{CATALOG}/dataSets/{dataset_id}"},
            )
        with self.store.lock:
            items = list(self.store.space(sandbox).datasets.items())
        name = request.args.get("name")
        if name is not None:
            items = [(k, v) for k, v in items if v.get("name") == name]
        if request.args.get("tags"):
            items = _tag_filter(items, request.args["tags"])
        items.sort(key=lambda kv: (kv[1]["created"], kv[0]))
        try:
            start = int(request.args.get("start", 0) or 0)
            limit = min(int(request.args.get("limit", 50) or 50), 100)
        except ValueError:
            return catalog_error(400, "Bad Request", "start and limit must be whole numbers")
        return json_response(dict(items[start : start + limit]))

    def dataset(
        self, request: Request, *, sandbox: str, client_id: str, dataset_id: str
    ) -> Response:
        if request.method == "DELETE":
            if self.store.delete_dataset(sandbox, dataset_id):
                return json_response([f"@/dataSets/{dataset_id}"])
            return json_response([])
        if request.method == "PATCH":
            body = self.body_of(request)
            if request.mimetype == "application/json-patch+json":
                return self._json_patch(sandbox, dataset_id, body)
            if not isinstance(body, dict):
                return catalog_error(400, "Bad Request", "PATCH body must be a JSON object")
            if not self.store.patch_dataset(sandbox, dataset_id, body):
                return catalog_error(404, "Not Found", f"dataset {dataset_id} not found")
            return json_response([f"@/dataSets/{dataset_id}"])
        record = self.store.dataset(sandbox, dataset_id)
        if record is None:
            return catalog_error(404, "Not Found", f"dataset {dataset_id} not found")
        return json_response({dataset_id: record})

    def _json_patch(self, sandbox: str, dataset_id: str, body: Any) -> Response:
        if not isinstance(body, list) or not all(isinstance(op, dict) for op in body):
            return catalog_error(400, "Bad Request", "a JSON Patch body is a list of operations")
        try:
            refused = self.store.json_patch_dataset(sandbox, dataset_id, body)
        except KeyError:
            return catalog_error(404, "Not Found", f"dataset {dataset_id} not found")
        if refused is not None:
            return catalog_error(400, "Bad Request", refused)
        return json_response([f"@/dataSets/{dataset_id}"])

    def batch(self, request: Request, *, sandbox: str, client_id: str, batch_id: str) -> Response:
        record = self.store.batch_view(sandbox, batch_id, request.headers["x-gw-ims-org-id"])
        if record is None:
            return catalog_error(404, "Not Found", f"batch {batch_id} not found")
        return json_response({batch_id: record})
