"""Request bodies (pydantic models) built from normalised resource inputs.

Kept apart from :mod:`.inputs` so that ``check``/``diff`` run without loading pydantic. The
inputs are normalised (defaults applied) by :mod:`.inputs` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..aep.models import (
    AdditionalFields,
    DatasetCreateRequest,
    EventList,
    EventListFilter,
    ExportDestinationRequest,
    ExportFilter,
    ExportJobRequest,
    ExportSchema,
    MergePolicyRef,
    SchemaRef,
    SegmentFilter,
    SegmentQualificationTime,
)


def dataset_create_request(
    inputs: Mapping[str, Any], extra_tags: Mapping[str, list[str]] | None = None
) -> DatasetCreateRequest:
    """The Catalog body for normalised dataset inputs (plus provider-owned tags)."""
    tags = {k: list(v) for k, v in (inputs.get("tags") or {}).items()}
    tags.update(extra_tags or {})
    return DatasetCreateRequest(
        name=inputs["name"],
        description=inputs.get("description"),
        schemaRef=SchemaRef(id=inputs["schema_id"], contentType=inputs["schema_content_type"]),
        tags=tags or None,
    )


def export_job_request(inputs: Mapping[str, Any]) -> ExportJobRequest:
    """The ``POST /export/jobs`` body for normalised job inputs (floats cast back to ints)."""
    mp = inputs.get("merge_policy")
    ev = inputs.get("event_list")
    segments = inputs.get("segments")
    qual = inputs.get("segment_qualification_time")
    filter_ = ExportFilter(
        segments=[
            SegmentFilter(
                segmentId=s["segment_id"], segmentNs=s.get("segment_ns"), status=s.get("status")
            )
            for s in segments
        ]
        if segments
        else None,
        segmentQualificationTime=SegmentQualificationTime(
            startTime=qual.get("start_time"), endTime=qual.get("end_time")
        )
        if qual
        else None,
        fromIngestTimestamp=inputs.get("from_ingest_timestamp"),
        emptyProfiles=inputs.get("empty_profiles"),
    )
    has_filter = any(x is not None for x in filter_.model_dump().values())
    return ExportJobRequest(
        fields=",".join(inputs["fields"]) if inputs.get("fields") else None,
        mergePolicy=MergePolicyRef(
            id=mp["id"], version=int(mp["version"]) if mp.get("version") is not None else None
        )
        if mp
        else None,
        filter=filter_ if has_filter else None,
        additionalFields=AdditionalFields(
            eventList=EventList(
                fields=",".join(ev["fields"]) if ev.get("fields") else None,
                filter=EventListFilter(fromIngestTimestamp=ev["from_ingest_timestamp"])
                if ev.get("from_ingest_timestamp")
                else None,
            )
        )
        if ev is not None
        else None,
        destination=ExportDestinationRequest(
            datasetId=inputs["dataset_id"],
            segmentPerBatch=bool(inputs.get("segment_per_batch", False)),
        ),
        schema=ExportSchema(name=inputs["schema_name"]),
    )
