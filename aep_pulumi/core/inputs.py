"""Validation and normalisation of each resource's inputs, shared by ``check()`` and ``create()``.

Each validator walks the raw property bag a front door hands over (plain dicts, floats for
integers, :data:`~.unknown.UNKNOWN` placeholders during preview) and returns the normalised
inputs with their defaults, typed (:mod:`.shapes`), plus a list of ``(property path, reason)``
failures. It never raises on bad input and never calls AEP. The property names come from
:mod:`.schema`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..aep.ids import job_id_text
from .schema import (
    DATASET,
    DEFAULT_SCHEMA_CONTENT_TYPE,
    DEFAULT_SCHEMA_ID,
    DEFAULT_SCHEMA_NAME,
    DEFAULT_WAIT_TIMEOUT_SECONDS,
    EXPORT_JOB,
    EXPORT_WAIT,
)
from .shapes import (
    DATASET_OPTIONAL_KEYS,
    EXPORT_JOB_OPTIONAL_KEYS,
    EXPORT_WAIT_OPTIONAL_KEYS,
    DatasetInputs,
    EventListInput,
    ExportJobInputs,
    ExportWaitInputs,
    MergePolicyInput,
    SegmentInput,
    SegmentQualificationTimeInput,
)
from .validation import Validation, drop_none, type_name
from .values import is_unknown

SEGMENT_STATUSES = ("realized", "existing", "exited")

_TAG_KEY = re.compile(r"^[^\s,]{1,256}$")

DATASET_INPUTS = DATASET.inputs()
DATASET_OUTPUTS = DATASET.outputs()
# What reaches AEP in the request body (every one of them forces a new job).
JOB_API_INPUTS = tuple(
    p.name
    for p in EXPORT_JOB.properties
    if p.replace and p.name not in ("triggers", "sandbox_name")
)
JOB_INPUTS = EXPORT_JOB.inputs()
JOB_OUTPUTS = EXPORT_JOB.outputs()
WAIT_INPUTS = EXPORT_WAIT.inputs()
WAIT_OUTPUTS = EXPORT_WAIT.outputs()


# ---------------------------------------------------------------- Dataset


def check_dataset_inputs(props: Mapping[str, Any]) -> tuple[DatasetInputs, list[tuple[str, str]]]:
    """Validate a ``Dataset``'s inputs and apply defaults."""
    v = Validation()
    v.unknown_keys(props, DATASET_INPUTS, DATASET_OUTPUTS)
    out: DatasetInputs = {
        "name": v.string("name", props.get("name"), required=True),
        "description": v.string("description", props.get("description"), allow_empty=True),
        "schema_id": v.string("schema_id", props.get("schema_id")) or DEFAULT_SCHEMA_ID,
        "schema_content_type": v.string("schema_content_type", props.get("schema_content_type"))
        or DEFAULT_SCHEMA_CONTENT_TYPE,
        "tags": _check_tags(v, props.get("tags")),
        "sandbox_name": v.sandbox("sandbox_name", props.get("sandbox_name")),
    }
    if isinstance(out["schema_id"], str) and not out["schema_id"].startswith(("https://", "_")):
        v.fail("schema_id", f"must be a schema URI such as {DEFAULT_SCHEMA_ID}")
    # Absent and `None` are the same input (the keys with a default always hold a value).
    for key in DATASET_OPTIONAL_KEYS:
        if key in out and out[key] is None:
            del out[key]
    return out, v.failures


def _check_tags(v: Validation, value: Any) -> Any:
    if value is None or is_unknown(value):
        return value
    if not isinstance(value, Mapping):
        v.fail("tags", f"must be a map of string -> list of strings, got {type_name(value)}")
        return None
    out: dict[str, Any] = {}
    for key, items in value.items():
        path = f"tags.{key}"
        if not _TAG_KEY.match(str(key)):
            v.fail(path, "tag names must be non-empty and contain no spaces or commas")
            continue
        if is_unknown(items):
            out[key] = items
            continue
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, (list, tuple)):
            v.fail(path, f"must be a list of strings, got {type_name(items)}")
            continue
        clean = []
        for i, item in enumerate(items):
            if is_unknown(item) or isinstance(item, str):
                clean.append(item)
            else:
                v.fail(f"{path}[{i}]", f"must be a string, got {type_name(item)}")
        out[key] = clean
    # No managed tag names is the same as no `tags`: refresh reports it as absent.
    return out or None


# ---------------------------------------------------------------- ProfileExportJob


def check_export_job_inputs(
    props: Mapping[str, Any],
) -> tuple[ExportJobInputs, list[tuple[str, str]]]:
    """Validate a ``ProfileExportJob``'s inputs and apply defaults."""
    v = Validation()
    v.unknown_keys(props, JOB_INPUTS, JOB_OUTPUTS)
    out: ExportJobInputs = {
        "dataset_id": v.dataset_id("dataset_id", props.get("dataset_id")),
        "schema_name": v.string("schema_name", props.get("schema_name")) or DEFAULT_SCHEMA_NAME,
        "fields": v.dot_paths("fields", props.get("fields")),
        "merge_policy": _check_merge_policy(v, props.get("merge_policy")),
        "event_list": _check_event_list(v, props.get("event_list")),
        "segments": _check_segments(v, props.get("segments")),
        "segment_qualification_time": _check_qualification(
            v, props.get("segment_qualification_time")
        ),
        "from_ingest_timestamp": v.timestamp(
            "from_ingest_timestamp", props.get("from_ingest_timestamp")
        ),
        "empty_profiles": v.boolean("empty_profiles", props.get("empty_profiles")),
        "segment_per_batch": v.boolean("segment_per_batch", props.get("segment_per_batch"), False),
        "triggers": _check_triggers(v, props.get("triggers")),
        "wait_for_completion": v.boolean(
            "wait_for_completion", props.get("wait_for_completion"), True
        ),
        "wait_timeout_seconds": v.positive_number(
            "wait_timeout_seconds", props.get("wait_timeout_seconds"), DEFAULT_WAIT_TIMEOUT_SECONDS
        ),
        "report_files": v.boolean("report_files", props.get("report_files"), True),
        "sandbox_name": v.sandbox("sandbox_name", props.get("sandbox_name")),
        "owner": v.string("owner", props.get("owner")),
    }
    if out["segment_per_batch"] is True and not out["segments"]:
        v.fail("segment_per_batch", "needs `segments`: one batch is written per listed segment")
    for key in EXPORT_JOB_OPTIONAL_KEYS:
        if key in out and out[key] is None:
            del out[key]
    return out, v.failures


def _check_merge_policy(v: Validation, value: Any) -> Any:
    mp = v.mapping("merge_policy", value, ("id", "version"))
    if mp is None or is_unknown(mp):
        return mp
    checked: MergePolicyInput = {
        "id": v.string("merge_policy.id", mp.get("id"), required=True),
        "version": v.whole_number("merge_policy.version", mp.get("version"), minimum=1),
    }
    return drop_none(checked)


def _check_event_list(v: Validation, value: Any) -> Any:
    ev = v.mapping("event_list", value, ("fields", "from_ingest_timestamp"))
    if ev is None or is_unknown(ev):
        return ev
    checked: EventListInput = {
        "fields": v.dot_paths("event_list.fields", ev.get("fields")),
        "from_ingest_timestamp": v.timestamp(
            "event_list.from_ingest_timestamp", ev.get("from_ingest_timestamp")
        ),
    }
    return drop_none(checked)


def _check_segments(v: Validation, value: Any) -> Any:
    if value is None or is_unknown(value):
        return value
    if not isinstance(value, (list, tuple)):
        v.fail(
            "segments",
            f"must be a list of {{segment_id, segment_ns, status}}, got {type_name(value)}",
        )
        return None
    if not value:
        v.fail("segments", "must not be an empty list (omit it to export all profiles)")
        return None
    out: list[Any] = []
    for i, item in enumerate(value):
        path = f"segments[{i}]"
        seg = v.mapping(path, item, ("segment_id", "segment_ns", "status"))
        if seg is None or is_unknown(seg):
            if seg is not None:
                out.append(seg)
            continue
        statuses = seg.get("status")
        if statuses is not None and not is_unknown(statuses):
            if not isinstance(statuses, (list, tuple)) or not statuses:
                v.fail(
                    f"{path}.status", f"must be a non-empty list of {', '.join(SEGMENT_STATUSES)}"
                )
                statuses = None
            else:
                for j, status in enumerate(statuses):
                    if not is_unknown(status) and status not in SEGMENT_STATUSES:
                        v.fail(
                            f"{path}.status[{j}]",
                            f"must be one of {', '.join(SEGMENT_STATUSES)}, got {status!r}",
                        )
                statuses = list(statuses)
        checked: SegmentInput = {
            "segment_id": v.string(f"{path}.segment_id", seg.get("segment_id"), required=True),
            "segment_ns": v.string(f"{path}.segment_ns", seg.get("segment_ns")),
            "status": statuses,
        }
        out.append(drop_none(checked))
    ids = [s.get("segment_id") for s in out if isinstance(s, Mapping)]
    named = [i for i in ids if isinstance(i, str)]
    for twice in sorted({i for i in named if named.count(i) > 1}):
        v.fail("segments", f"lists segment {twice!r} twice")
    return out


def _check_qualification(v: Validation, value: Any) -> Any:
    q = v.mapping("segment_qualification_time", value, ("start_time", "end_time"))
    if q is None or is_unknown(q):
        return q
    start = v.timestamp("segment_qualification_time.start_time", q.get("start_time"))
    end = v.timestamp("segment_qualification_time.end_time", q.get("end_time"))
    if (
        isinstance(start, str)
        and isinstance(end, str)
        and _parse_rfc3339(start) > _parse_rfc3339(end)
    ):
        v.fail("segment_qualification_time", "start_time is after end_time")
    # Only when neither was given: an invalid one is reported on its own path already.
    if q.get("start_time") is None and q.get("end_time") is None:
        v.fail("segment_qualification_time", "needs start_time, end_time or both")
    checked: SegmentQualificationTimeInput = {"start_time": start, "end_time": end}
    return drop_none(checked)


def _parse_rfc3339(text: str) -> datetime:
    normalised = text.replace("z", "Z").replace("Z", "+00:00").replace("t", "T").replace(" ", "T")
    # fromisoformat before 3.11 does not take fractional seconds of every length; cut to micros.
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", normalised)
    if match:
        frac = (match.group(2) or "")[:7]
        normalised = match.group(1) + (frac.ljust(7, "0") if frac else "") + match.group(3)
    return datetime.fromisoformat(normalised)


def _check_triggers(v: Validation, value: Any) -> Any:
    if value is None or is_unknown(value):
        return value
    if not isinstance(value, (list, tuple)):
        v.fail(
            "triggers",
            f"must be a list (any change to it re-runs the export), got {type_name(value)}",
        )
        return None
    return list(value)


# ---------------------------------------------------------------- ProfileExportWait


def check_wait_inputs(props: Mapping[str, Any]) -> tuple[ExportWaitInputs, list[tuple[str, str]]]:
    """Validate a ``ProfileExportWait``'s inputs and apply defaults."""
    v = Validation()
    v.unknown_keys(props, WAIT_INPUTS, WAIT_OUTPUTS)
    job_ids = props.get("job_ids")
    normalised: Any = job_ids
    if job_ids is None:
        v.fail("job_ids", "is required (the `id` of each ProfileExportJob to wait for)")
    elif not is_unknown(job_ids):
        if not isinstance(job_ids, (list, tuple)) or not job_ids:
            v.fail("job_ids", "must be a non-empty list of export job ids")
            normalised = None
        else:
            normalised = []
            for i, item in enumerate(job_ids):
                job_id = item if is_unknown(item) else job_id_text(item)
                if job_id is None:
                    v.fail(
                        f"job_ids[{i}]", f"must be an export job id (a whole number), got {item!r}"
                    )
                else:
                    normalised.append(job_id)
    out: ExportWaitInputs = {
        "job_ids": normalised,
        "timeout_seconds": v.positive_number(
            "timeout_seconds", props.get("timeout_seconds"), DEFAULT_WAIT_TIMEOUT_SECONDS
        ),
        "report_files": v.boolean("report_files", props.get("report_files"), True),
        "sandbox_name": v.sandbox("sandbox_name", props.get("sandbox_name")),
    }
    for key in EXPORT_WAIT_OPTIONAL_KEYS:
        if key in out and out[key] is None:
            del out[key]
    return out, v.failures
