"""Catalog (``/data/foundation/catalog``): datasets and batches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import AepNotFoundError, AepResponseError
from .error_bodies import response_json
from .ids import dataset_id_from_ref, path_object_id
from .models import DatasetCreateRequest, DatasetRecord, parse_model
from .transport import Transport

CATALOG = "/data/foundation/catalog"


def _keyed_record(body: Any, key: str) -> Any:
    """Catalog answers ``{"<id>": {...}}``: the record under ``key`` (or the only one)."""
    if not isinstance(body, Mapping):
        return None
    record = body.get(key)
    if record is None and len(body) == 1:
        record = next(iter(body.values()))
    return record


class CatalogApi:
    """Datasets and batches (mixed into :class:`~aep_pulumi.aep.client.AepClient`)."""

    transport: Transport

    def create_dataset(self, body: DatasetCreateRequest, *, sandbox: str | None = None) -> str:
        """``POST /dataSets``; returns the new dataset id."""
        op = "create dataset"
        response = self.transport.request(
            "POST", f"{CATALOG}/dataSets", operation=op, json=body.to_api(), sandbox=sandbox
        )
        try:
            refs = self.transport.json(response, op)
            if not isinstance(refs, list) or not refs or not isinstance(refs[0], str):
                raise AepResponseError('expected a list like ["@/dataSets/<id>"]', operation=op)
            return dataset_id_from_ref(refs[0])
        except AepResponseError as exc:
            # AEP said 201: the dataset exists even though its id could not be read.
            exc.maybe_applied = True
            raise

    def get_dataset(self, dataset_id: str, *, sandbox: str | None = None) -> DatasetRecord:
        """``GET /dataSets/{id}``; raises :class:`AepNotFoundError` when it does not exist."""
        ds = path_object_id(dataset_id)
        op = f"get dataset {ds}"
        body = self.transport.json(
            self.transport.request(
                "GET", f"{CATALOG}/dataSets/{ds}", operation=op, sandbox=sandbox
            ),
            op,
        )
        if not isinstance(body, Mapping):
            raise AepResponseError("expected an object keyed by dataset id", operation=op)
        if not body:
            raise AepNotFoundError(f"dataset {ds} does not exist", status=200, operation=op)
        result: DatasetRecord = parse_model(DatasetRecord, _keyed_record(body, ds), op)
        return result

    def list_datasets(
        self,
        *,
        sandbox: str | None = None,
        name: str | None = None,
        tags: str | None = None,
        page_size: int = 100,
    ) -> dict[str, DatasetRecord]:
        """``GET /dataSets`` with filters, following ``start`` pages."""
        op = "list datasets"
        found: dict[str, DatasetRecord] = {}
        start = 0
        while True:
            params: dict[str, Any] = {"limit": page_size, "start": start}
            if name is not None:
                params["name"] = name
            if tags is not None:
                params["tags"] = tags
            body = self.transport.json(
                self.transport.request(
                    "GET", f"{CATALOG}/dataSets", operation=op, params=params, sandbox=sandbox
                ),
                op,
            )
            if not isinstance(body, Mapping):
                raise AepResponseError("expected an object keyed by dataset id", operation=op)
            for key, record in body.items():
                found[str(key)] = parse_model(DatasetRecord, record, op)
            if len(body) < page_size:
                return found
            start += len(body)

    def update_dataset(
        self, dataset_id: str, changes: Mapping[str, Any], *, sandbox: str | None = None
    ) -> None:
        """``PATCH /dataSets/{id}`` with a plain JSON object of the changed fields."""
        ds = path_object_id(dataset_id)
        self.transport.request(
            "PATCH",
            f"{CATALOG}/dataSets/{ds}",
            operation=f"update dataset {ds}",
            json=dict(changes),
            sandbox=sandbox,
        )

    def patch_dataset(
        self,
        dataset_id: str,
        operations: list[dict[str, Any]],
        *,
        sandbox: str | None = None,
        operation: str | None = None,
    ) -> None:
        """``PATCH /dataSets/{id}`` as a JSON Patch (RFC 6902, ``application/json-patch+json``).

        Each ``add``/``remove`` of ``/tags/<name>`` touches that one tag only, so writers of
        different tags never undo each other (a plain PATCH replaces the whole ``tags``
        object, which would need a read first and loses a concurrent writer's tag).
        """
        ds = path_object_id(dataset_id)
        self.transport.request(
            "PATCH",
            f"{CATALOG}/dataSets/{ds}",
            operation=operation or f"update dataset {ds}",
            json=operations,
            sandbox=sandbox,
            extra_headers={"Content-Type": "application/json-patch+json"},
        )

    def delete_dataset(self, dataset_id: str, *, sandbox: str | None = None) -> bool:
        """``DELETE /dataSets/{id}``; False when it was already gone (404, or 200 with ``[]``)."""
        ds = path_object_id(dataset_id)
        op = f"delete dataset {ds}"
        try:
            response = self.transport.request(
                "DELETE", f"{CATALOG}/dataSets/{ds}", operation=op, sandbox=sandbox
            )
        except AepNotFoundError:
            return False
        body = response_json(response)
        return not (isinstance(body, list) and not body)

    def get_batch(self, batch_id: str, *, sandbox: str | None = None) -> dict[str, Any]:
        """``GET /batches/{id}``: the batch record (``status``...)."""
        bid = path_object_id(batch_id, "batch")
        op = f"get batch {bid}"
        body = self.transport.json(
            self.transport.request(
                "GET", f"{CATALOG}/batches/{bid}", operation=op, sandbox=sandbox
            ),
            op,
        )
        record = _keyed_record(body, bid)
        if not isinstance(record, Mapping):
            raise AepNotFoundError(f"batch {bid} does not exist", status=200, operation=op)
        return dict(record)
