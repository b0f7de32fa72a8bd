"""Pydantic v2 models of the AEP payloads this project sends and reads.

Response models are lenient where AEP is inconsistent (``datasetId``/``dataSetId``, ``batches``
as an object or an array, ids as numbers or strings, unknown statuses) and keep unknown fields.
Request models are strict and serialise with AEP's camelCase names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import AepResponseError
from .statuses import (
    KNOWN_STATUSES,
    STATUS_FAILED,
    STATUS_NEW,
    STATUS_PROCESSING,
    STATUS_SUCCEEDED,
    TERMINAL_STATUSES,
)
from .wire import batch_list

__all__ = [
    "KNOWN_STATUSES",
    "STATUS_FAILED",
    "STATUS_NEW",
    "STATUS_PROCESSING",
    "STATUS_SUCCEEDED",
    "TERMINAL_STATUSES",
    "ExportJob",
    "ExportJobList",
]


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_api(self) -> dict[str, Any]:
        """The JSON body AEP expects."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# ---------------------------------------------------------------- IMS


class TokenResponse(_Response):
    """IMS ``/ims/token/v3`` answer; ``expires_in`` is in seconds."""

    access_token: str = Field(min_length=1)
    token_type: str | None = None
    expires_in: float = Field(gt=0)


# ---------------------------------------------------------------- Catalog datasets


class SchemaRef(_Request):
    """``schemaRef`` of a dataset."""

    id: str
    content_type: str = Field(alias="contentType")


class DatasetCreateRequest(_Request):
    """Body of ``POST /dataSets``."""

    name: str
    description: str | None = None
    schema_ref: SchemaRef = Field(alias="schemaRef")
    tags: dict[str, list[str]] | None = None


class DatasetRecord(_Response):
    """One dataset as Catalog returns it (the value under its id)."""

    name: str | None = None
    description: str | None = None
    tags: dict[str, list[str]] | None = None
    schema_ref: dict[str, Any] | None = Field(default=None, alias="schemaRef")
    created: int | None = None
    updated: int | None = None
    ims_org: str | None = Field(default=None, alias="imsOrg")
    version: str | None = None


class MergePolicyRecord(_Response):
    """A merge policy as ``GET /config/mergePolicies`` lists it."""

    id: str
    name: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    default: bool = False
    version: int | None = None

    @property
    def schema_name(self) -> str | None:
        return (self.schema_ or {}).get("name")


# ---------------------------------------------------------------- export jobs


class MergePolicyRef(_Request):
    """``mergePolicy`` of an export job."""

    id: str
    version: int | None = None


class SegmentFilter(_Request):
    """One entry of ``filter.segments``."""

    segment_id: str = Field(alias="segmentId")
    segment_ns: str | None = Field(default=None, alias="segmentNs")
    status: list[str] | None = None


class SegmentQualificationTime(_Request):
    """``filter.segmentQualificationTime`` (RFC 3339 timestamps)."""

    start_time: str | None = Field(default=None, alias="startTime")
    end_time: str | None = Field(default=None, alias="endTime")


class ExportFilter(_Request):
    """``filter`` of an export job."""

    segments: list[SegmentFilter] | None = None
    segment_qualification_time: SegmentQualificationTime | None = Field(
        default=None, alias="segmentQualificationTime"
    )
    from_ingest_timestamp: str | None = Field(default=None, alias="fromIngestTimestamp")
    empty_profiles: bool | None = Field(default=None, alias="emptyProfiles")


class EventListFilter(_Request):
    """``additionalFields.eventList.filter``."""

    from_ingest_timestamp: str | None = Field(default=None, alias="fromIngestTimestamp")


class EventList(_Request):
    """``additionalFields.eventList``; ``fields`` is a comma-separated list of dot paths."""

    fields: str | None = None
    filter: EventListFilter | None = None


class AdditionalFields(_Request):
    """``additionalFields`` of an export job."""

    event_list: EventList | None = Field(default=None, alias="eventList")


class ExportDestinationRequest(_Request):
    """``destination`` of an export job request."""

    dataset_id: str = Field(alias="datasetId")
    segment_per_batch: bool | None = Field(default=None, alias="segmentPerBatch")


class ExportSchema(_Request):
    """``schema`` of an export job."""

    name: str


class ExportJobRequest(_Request):
    """Body of ``POST /export/jobs``."""

    fields: str | None = None
    merge_policy: MergePolicyRef | None = Field(default=None, alias="mergePolicy")
    filter: ExportFilter | None = None
    additional_fields: AdditionalFields | None = Field(default=None, alias="additionalFields")
    destination: ExportDestinationRequest
    schema_: ExportSchema = Field(alias="schema")


class ExportJobErrorDetail(_Response):
    """One entry of a failed job's ``errors``."""

    code: str | None = None
    msg: str | None = Field(default=None, validation_alias=AliasChoices("msg", "message"))
    call_stack: str | None = Field(default=None, alias="callStack")

    @field_validator("code", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        return None if value is None else str(value)


class SegmentBatch(_Response):
    """The batch that holds one segment's profiles (``segmentPerBatch: true``)."""

    segment_id: str | None = Field(default=None, alias="segmentId")
    segment_ns: str | None = Field(default=None, alias="segmentNs")
    status: list[str] | None = None
    batch_id: str | None = Field(default=None, alias="batchId")


class ExportDestination(_Response):
    """``destination`` of an export job as AEP returns it."""

    dataset_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("datasetId", "dataSetId"),
        serialization_alias="datasetId",
    )
    segment_per_batch: bool | None = Field(default=None, alias="segmentPerBatch")
    batch_id: str | None = Field(default=None, alias="batchId")
    batches: list[SegmentBatch] = Field(default_factory=list)

    @field_validator("batches", mode="before")
    @classmethod
    def _batches(cls, value: Any) -> Any:
        if value is None:
            return []
        return batch_list(value) if isinstance(value, (list, Mapping)) else value


class ExportJob(_Response):
    """An export job as returned by ``POST``/``GET /export/jobs``."""

    id: int
    status: str = STATUS_NEW
    job_type: str | None = Field(default=None, alias="jobType")
    profile_instance_id: str | None = Field(default=None, alias="profileInstanceId")
    destination: ExportDestination = Field(default_factory=ExportDestination)
    fields: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    merge_policy: dict[str, Any] | None = Field(default=None, alias="mergePolicy")
    filter: dict[str, Any] | None = None
    additional_fields: dict[str, Any] | None = Field(default=None, alias="additionalFields")
    errors: list[ExportJobErrorDetail] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = Field(default=None, alias="requestId")
    ims_org_id: str | None = Field(default=None, alias="imsOrgId")
    compute_gateway_job_id: dict[str, Any] | None = Field(default=None, alias="computeGatewayJobId")
    creation_time: int | None = Field(default=None, alias="creationTime")
    update_time: int | None = Field(default=None, alias="updateTime")

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, value: Any) -> Any:
        return STATUS_NEW if value is None else str(value).upper()

    @field_validator("errors", "metrics", mode="before")
    @classmethod
    def _empty_when_null(cls, value: Any, info: Any) -> Any:
        if value is None:
            return [] if info.field_name == "errors" else {}
        return value

    @property
    def is_terminal(self) -> bool:
        """True once AEP will not change the status any more."""
        return self.status in TERMINAL_STATUSES

    @property
    def batch_id(self) -> str | None:
        """The export's batch id (empty strings, as on failed jobs, become ``None``)."""
        return self.destination.batch_id or None

    @property
    def dataset_id(self) -> str | None:
        """The destination dataset id, whichever spelling AEP used."""
        return self.destination.dataset_id


class PageInfo(_Response):
    """``page`` of a job listing."""

    sort_field: str | None = Field(default=None, alias="sortField")
    sort: str | None = None
    page_offset: str | None = Field(default=None, alias="pageOffset")
    page_size: int | None = Field(default=None, alias="pageSize")

    @field_validator("page_offset", mode="before")
    @classmethod
    def _offset_text(cls, value: Any) -> Any:
        # The cursor is opaque text; never fail a listing because it looks numeric.
        return None if value is None else str(value)


class ListLinks(_Response):
    """``link`` of a job listing; ``next`` is empty on the last page."""

    next: str | None = None


class ExportJobList(_Response):
    """One page of ``GET /export/jobs``."""

    records: list[ExportJob] = Field(default_factory=list)
    page: PageInfo | None = None
    link: ListLinks | None = None

    @field_validator("records", mode="before")
    @classmethod
    def _records(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def next_link(self) -> str | None:
        """The relative link to the next page, or ``None`` at the end."""
        if self.link is None or not self.link.next:
            return None
        return self.link.next


def parse_model(model: type[BaseModel], body: Any, operation: str) -> Any:
    """``model`` validated from a response body; a mismatch is an :class:`AepResponseError`
    naming the first offending field (never a pydantic trace)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise AepResponseError(
            f"unexpected response body ({where}: {first['msg']})", operation=operation
        ) from None
