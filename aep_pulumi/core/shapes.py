"""The shape of each resource's inputs and state, as ``TypedDict``s: mypy checks every key the
core reads or writes against them, so a misspelt property name fails the type check, not a
deploy.

One resource's description lives in :mod:`.schema`; these restate its names for the type
checker (``tests/unit/test_schema_ties.py`` holds the two together: a property added to one and
not the other fails it). For each resource:

* ``<Resource>Inputs``: the inputs as its check (:mod:`.inputs`) returns them. A key with a
  default in the schema always holds a value; any other is absent when not given (or when its
  value failed the check). A value is :data:`~.values.UNKNOWN` in a preview when the engine
  does not know it yet (:data:`OrUnknown`).
* ``<Resource>State``: the state (outputs) the core writes and a front door hands back: every
  input, and what AEP decides. Any key may be absent (a front door drops ``None``s, and states
  written by earlier releases lack newer keys) or ``None``. Inputs are typed as the check leaves
  them: ``UNKNOWN`` reaches no state (a preview writes none), but nothing in the types tells a
  preview from a deploy.
* the ``Literal`` types of their keys (``...InputKey``, ``...OptionalKey``: the inputs without a
  default, ``...OutputKey``; ``...Key``: all of them, the state's), and those keys as tuples in
  the schema's order, for the few places that go through keys one by one (a ``str`` would not
  tell mypy which key it is).

A whole number the core writes as an ``int`` may come back as a ``float`` (the dynamic door's
wire has one number type): such values are typed :data:`Whole`.

A raw property bag from a front door becomes typed in one of two places: inputs by their check,
a state by :func:`dataset_state` (and its siblings), which keeps the resource's properties and
leaves out the engine's own keys (``__provider``, ``__meta``...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias, TypedDict, TypeVar, cast, get_args

from .values import Unknown

T = TypeVar("T")

# A checked input: the value, or UNKNOWN in a preview.
OrUnknown: TypeAlias = T | Unknown
# A whole number: written as an int, handed back as a float by the dynamic door.
Whole: TypeAlias = float


class Sandboxed(TypedDict, total=False):
    """What every resource's inputs have: the sandbox it lives in (the configured one when
    absent)."""

    sandbox_name: OrUnknown[str]


# ---------------------------------------------------------------- nested values


class MergePolicyInput(TypedDict, total=False):
    """``merge_policy`` (schema type ``MergePolicy``)."""

    id: OrUnknown[str]
    version: OrUnknown[Whole]


class EventListInput(TypedDict, total=False):
    """``event_list`` (schema type ``EventList``)."""

    fields: OrUnknown[list[OrUnknown[str]]]
    from_ingest_timestamp: OrUnknown[str]


class SegmentInput(TypedDict, total=False):
    """One of ``segments`` (schema type ``Segment``)."""

    segment_id: OrUnknown[str]
    segment_ns: OrUnknown[str]
    status: OrUnknown[list[OrUnknown[str]]]


class SegmentQualificationTimeInput(TypedDict, total=False):
    """``segment_qualification_time`` (schema type ``SegmentQualificationTime``)."""

    start_time: OrUnknown[str]
    end_time: OrUnknown[str]


class SegmentBatchOutput(TypedDict, total=False):
    """One of a job's ``batches`` (schema type ``SegmentBatch``)."""

    segment_id: str | None
    segment_ns: str | None
    status: list[str] | None
    batch_id: str | None


class JobErrorOutput(TypedDict, total=False):
    """One of AEP's ``errors`` of a FAILED job (schema type ``JobError``)."""

    code: str | None
    msg: str | None


class ExportPartOutput(TypedDict, total=False):
    """One part of a dataset file (schema type ``ExportPart``)."""

    name: str
    size: Whole | None


class ExportFileOutput(TypedDict, total=False):
    """One of the ``files`` of an export (schema type ``ExportFile``)."""

    batch_id: str
    file_id: str
    records: Whole | None
    size: Whole | None
    parts: list[ExportPartOutput]


# Catalog tags a Dataset manages: name -> values.
Tags: TypeAlias = Mapping[str, OrUnknown[Sequence[OrUnknown[str]]]]


# ---------------------------------------------------------------- Dataset


class _DatasetDefaulted(TypedDict):
    schema_id: OrUnknown[str]
    schema_content_type: OrUnknown[str]


class DatasetInputs(_DatasetDefaulted, total=False):
    """A ``Dataset``'s checked inputs (``name`` is required, but absent when it failed)."""

    name: OrUnknown[str]
    description: OrUnknown[str]
    tags: OrUnknown[Tags]
    sandbox_name: OrUnknown[str]


class DatasetState(TypedDict, total=False):
    """A ``Dataset``'s state."""

    name: OrUnknown[str] | None
    description: OrUnknown[str] | None
    schema_id: OrUnknown[str] | None
    schema_content_type: OrUnknown[str] | None
    tags: OrUnknown[Tags] | None
    sandbox_name: OrUnknown[str] | None
    dataset_id: str | None
    created: Whole | None
    updated: Whole | None


DatasetInputKey = Literal[
    "name", "description", "schema_id", "schema_content_type", "tags", "sandbox_name"
]
DatasetOptionalKey = Literal["name", "description", "tags", "sandbox_name"]
DatasetOutputKey = Literal["dataset_id", "created", "updated"]
DatasetKey = Literal[DatasetInputKey, DatasetOutputKey]


# ---------------------------------------------------------------- ProfileExportJob


class _ExportJobDefaulted(TypedDict):
    schema_name: OrUnknown[str]
    segment_per_batch: OrUnknown[bool]
    wait_for_completion: OrUnknown[bool]
    wait_timeout_seconds: OrUnknown[float]
    report_files: OrUnknown[bool]


class ExportJobInputs(_ExportJobDefaulted, total=False):
    """A ``ProfileExportJob``'s checked inputs (``dataset_id`` is required, but absent when it
    failed). ``owner`` is internal: the dynamic door's resources set it."""

    dataset_id: OrUnknown[str]
    fields: OrUnknown[list[OrUnknown[str]]]
    merge_policy: OrUnknown[MergePolicyInput]
    event_list: OrUnknown[EventListInput]
    segments: OrUnknown[list[OrUnknown[SegmentInput]]]
    segment_qualification_time: OrUnknown[SegmentQualificationTimeInput]
    from_ingest_timestamp: OrUnknown[str]
    empty_profiles: OrUnknown[bool]
    triggers: OrUnknown[list[Any]]
    sandbox_name: OrUnknown[str]
    owner: OrUnknown[str]


class ExportJobState(TypedDict, total=False):
    """A ``ProfileExportJob``'s state. ``adopted_request`` is internal: present only while a
    job adopted by id waits for the program to fill in what AEP does not tell
    (:mod:`.export_job.state`)."""

    dataset_id: OrUnknown[str] | None
    schema_name: OrUnknown[str] | None
    fields: OrUnknown[list[OrUnknown[str]]] | None
    merge_policy: OrUnknown[MergePolicyInput] | None
    event_list: OrUnknown[EventListInput] | None
    segments: OrUnknown[list[OrUnknown[SegmentInput]]] | None
    segment_qualification_time: OrUnknown[SegmentQualificationTimeInput] | None
    from_ingest_timestamp: OrUnknown[str] | None
    empty_profiles: OrUnknown[bool] | None
    segment_per_batch: OrUnknown[bool] | None
    triggers: OrUnknown[list[Any]] | None
    wait_for_completion: OrUnknown[bool] | None
    wait_timeout_seconds: OrUnknown[float] | None
    report_files: OrUnknown[bool] | None
    sandbox_name: OrUnknown[str] | None
    owner: OrUnknown[str] | None
    adopted_request: str
    job_id: Whole | None
    status: str | None
    batch_id: str | None
    batches: list[SegmentBatchOutput] | None
    errors: list[JobErrorOutput] | None
    metrics: dict[str, Any] | None
    creation_time: Whole | None
    update_time: Whole | None
    request_id: str | None
    profile_instance_id: str | None
    job_type: str | None
    files: list[ExportFileOutput] | None


ExportJobInputKey = Literal[
    "dataset_id",
    "schema_name",
    "fields",
    "merge_policy",
    "event_list",
    "segments",
    "segment_qualification_time",
    "from_ingest_timestamp",
    "empty_profiles",
    "segment_per_batch",
    "triggers",
    "wait_for_completion",
    "wait_timeout_seconds",
    "report_files",
    "sandbox_name",
    "owner",
]
ExportJobOptionalKey = Literal[
    "dataset_id",
    "fields",
    "merge_policy",
    "event_list",
    "segments",
    "segment_qualification_time",
    "from_ingest_timestamp",
    "empty_profiles",
    "triggers",
    "sandbox_name",
    "owner",
]
ExportJobOutputKey = Literal[
    "adopted_request",
    "job_id",
    "status",
    "batch_id",
    "batches",
    "errors",
    "metrics",
    "creation_time",
    "update_time",
    "request_id",
    "profile_instance_id",
    "job_type",
    "files",
]
ExportJobKey = Literal[ExportJobInputKey, ExportJobOutputKey]


# ---------------------------------------------------------------- ProfileExportWait


class _ExportWaitDefaulted(TypedDict):
    timeout_seconds: OrUnknown[float]
    report_files: OrUnknown[bool]


class ExportWaitInputs(_ExportWaitDefaulted, total=False):
    """A ``ProfileExportWait``'s checked inputs (``job_ids`` is required, but absent when it
    failed): job ids as text."""

    job_ids: OrUnknown[list[OrUnknown[str]]]
    sandbox_name: OrUnknown[str]


class ExportWaitState(TypedDict, total=False):
    """A ``ProfileExportWait``'s state; its outputs are maps keyed by job id."""

    job_ids: OrUnknown[list[OrUnknown[str]]] | None
    timeout_seconds: OrUnknown[float] | None
    report_files: OrUnknown[bool] | None
    sandbox_name: OrUnknown[str] | None
    statuses: dict[str, str] | None
    batch_ids: dict[str, str | None] | None
    errors: dict[str, list[JobErrorOutput]] | None
    files: dict[str, list[ExportFileOutput]] | None


ExportWaitInputKey = Literal["job_ids", "timeout_seconds", "report_files", "sandbox_name"]
ExportWaitOptionalKey = Literal["job_ids", "sandbox_name"]
ExportWaitOutputKey = Literal["statuses", "batch_ids", "errors", "files"]
ExportWaitKey = Literal[ExportWaitInputKey, ExportWaitOutputKey]


# ---------------------------------------------------------------- keys, one by one

DATASET_OPTIONAL_KEYS: tuple[DatasetOptionalKey, ...] = get_args(DatasetOptionalKey)
DATASET_INPUT_KEYS: tuple[DatasetInputKey, ...] = get_args(DatasetInputKey)
DATASET_KEYS: tuple[DatasetKey, ...] = get_args(DatasetKey)
EXPORT_JOB_OPTIONAL_KEYS: tuple[ExportJobOptionalKey, ...] = get_args(ExportJobOptionalKey)
EXPORT_JOB_INPUT_KEYS: tuple[ExportJobInputKey, ...] = get_args(ExportJobInputKey)
EXPORT_JOB_KEYS: tuple[ExportJobKey, ...] = get_args(ExportJobKey)
EXPORT_WAIT_OPTIONAL_KEYS: tuple[ExportWaitOptionalKey, ...] = get_args(ExportWaitOptionalKey)
EXPORT_WAIT_INPUT_KEYS: tuple[ExportWaitInputKey, ...] = get_args(ExportWaitInputKey)
EXPORT_WAIT_KEYS: tuple[ExportWaitKey, ...] = get_args(ExportWaitKey)


# ---------------------------------------------------------------- a state handed back


def _properties(props: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The resource's own keys of a state a front door hands back. Its values are untyped (the
    engine's wire): the readers below cast once, here at the boundary, and every read after it
    is checked."""
    return {key: props[key] for key in keys if key in props}


def dataset_state(props: Mapping[str, Any]) -> DatasetState:
    """A ``Dataset``'s state as a front door hands it back: its properties (not the engine's
    own keys)."""
    return cast(DatasetState, _properties(props, DATASET_KEYS))


def export_job_state(props: Mapping[str, Any]) -> ExportJobState:
    """A ``ProfileExportJob``'s state as a front door hands it back: its properties (not the
    engine's own keys)."""
    return cast(ExportJobState, _properties(props, EXPORT_JOB_KEYS))


def export_wait_state(props: Mapping[str, Any]) -> ExportWaitState:
    """A ``ProfileExportWait``'s state as a front door hands it back: its properties (not the
    engine's own keys)."""
    return cast(ExportWaitState, _properties(props, EXPORT_WAIT_KEYS))
