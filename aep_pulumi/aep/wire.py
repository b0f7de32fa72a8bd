"""Shapes AEP is inconsistent about, read one way everywhere (plain data: no pydantic here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_BATCH_KEYS = ("batchId", "segmentId", "segmentNs")


def batch_list(value: Any) -> list[Any]:
    """``destination.batches`` as a list: an object in the spec (keyed by segment id), an array
    in the guide, or a single batch object. Anything else reads as no batches."""
    if isinstance(value, list):
        return value
    if not isinstance(value, Mapping):
        return []
    if any(key in value for key in _BATCH_KEYS):
        return [dict(value)]
    return [
        {"segmentId": key, **item}
        if isinstance(item, Mapping) and "segmentId" not in item
        else item
        for key, item in value.items()
    ]


def destination_dataset_id(destination: Mapping[str, Any]) -> Any:
    """``destination.datasetId`` (spec, listings) or ``destination.dataSetId`` (the guide)."""
    return destination.get("datasetId", destination.get("dataSetId"))
