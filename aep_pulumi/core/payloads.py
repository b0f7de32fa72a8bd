"""Request bodies (pydantic models) built from normalised resource inputs.

Kept apart from :mod:`.inputs` so that ``check``/``diff`` run without loading pydantic. The
inputs are normalised (defaults applied) by :mod:`.inputs` first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
from .shapes import (
    DatasetInputs,
    EventListInput,
    ExportJobInputs,
    MergePolicyInput,
    OrUnknown,
    SegmentInput,
    SegmentQualificationTimeInput,
)
from .values import known


def _texts(values: OrUnknown[Sequence[OrUnknown[str]]] | None) -> list[str] | None:
    return [known(v) for v in known(values)] if values is not None else None


def dataset_create_request(
    inputs: DatasetInputs, extra_tags: Mapping[str, list[str]] | None = None
) -> DatasetCreateRequest:
    """The Catalog body for normalised dataset inputs (plus provider-owned tags)."""
    tags: dict[str, list[str]] = {
        k: _texts(v) or [] for k, v in known(inputs.get("tags") or {}).items()
    }
    tags.update(extra_tags or {})
    return DatasetCreateRequest(
        name=known(inputs["name"]),
        description=known(inputs.get("description")),
        schemaRef=SchemaRef(
            id=known(inputs["schema_id"]), contentType=known(inputs["schema_content_type"])
        ),
        tags=tags or None,
    )


def _merge_policy(mp: MergePolicyInput) -> MergePolicyRef:
    version = known(mp.get("version"))
    return MergePolicyRef(id=known(mp["id"]), version=int(version) if version is not None else None)


def _segment(s: SegmentInput) -> SegmentFilter:
    return SegmentFilter(
        segmentId=known(s["segment_id"]),
        segmentNs=known(s.get("segment_ns")),
        status=_texts(s.get("status")),
    )


def _qualification(qual: SegmentQualificationTimeInput) -> SegmentQualificationTime:
    return SegmentQualificationTime(
        startTime=known(qual.get("start_time")), endTime=known(qual.get("end_time"))
    )


def _event_list(ev: EventListInput) -> AdditionalFields:
    fields = _texts(ev.get("fields"))
    since = known(ev.get("from_ingest_timestamp"))
    return AdditionalFields(
        eventList=EventList(
            fields=",".join(fields) if fields else None,
            filter=EventListFilter(fromIngestTimestamp=since) if since else None,
        )
    )


def export_job_request(inputs: ExportJobInputs) -> ExportJobRequest:
    """The ``POST /export/jobs`` body for normalised job inputs (floats cast back to ints)."""
    mp = known(inputs.get("merge_policy"))
    ev = known(inputs.get("event_list"))
    segments = known(inputs.get("segments"))
    qual = known(inputs.get("segment_qualification_time"))
    fields = _texts(inputs.get("fields"))
    filter_ = ExportFilter(
        segments=[_segment(known(s)) for s in segments] if segments else None,
        segmentQualificationTime=_qualification(qual) if qual else None,
        fromIngestTimestamp=known(inputs.get("from_ingest_timestamp")),
        emptyProfiles=known(inputs.get("empty_profiles")),
    )
    has_filter = any(x is not None for x in filter_.model_dump().values())
    return ExportJobRequest(
        fields=",".join(fields) if fields else None,
        mergePolicy=_merge_policy(mp) if mp else None,
        filter=filter_ if has_filter else None,
        additionalFields=_event_list(ev) if ev is not None else None,
        destination=ExportDestinationRequest(
            datasetId=known(inputs["dataset_id"]),
            segmentPerBatch=bool(known(inputs.get("segment_per_batch", False))),
        ),
        schema=ExportSchema(name=known(inputs["schema_name"])),
    )
