"""A job record as state: the outputs AEP decides, the inputs that would recreate a job, errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..aep.models import ExportJob


def describe_job_errors(job: ExportJob) -> str:
    """AEP's error codes and messages of a failed job, in one line."""
    if not job.errors:
        return "AEP gave no error details"
    return "; ".join(f"[{e.code or 'no code'}] {e.msg or 'no message'}" for e in job.errors)


def job_outputs(job: ExportJob) -> dict[str, Any]:
    """The state properties AEP decides (JSON-friendly: no models, no datetimes)."""
    return {
        "job_id": job.id,
        "status": job.status,
        "batch_id": job.batch_id,
        "batches": [
            {
                "segment_id": b.segment_id,
                "segment_ns": b.segment_ns,
                "status": b.status,
                "batch_id": b.batch_id,
            }
            for b in job.destination.batches
        ],
        "errors": [{"code": e.code, "msg": e.msg} for e in job.errors],
        "metrics": job.metrics,
        "creation_time": job.creation_time,
        "update_time": job.update_time,
        "request_id": job.request_id,
        "profile_instance_id": job.profile_instance_id,
        "job_type": job.job_type,
    }


def inputs_from_job(job: ExportJob) -> dict[str, Any]:
    """Inputs that would recreate ``job``: used when adopting an existing job by id."""
    api_filter = job.filter or {}
    event_list = (job.additional_fields or {}).get("eventList")
    segments = api_filter.get("segments")
    qual = api_filter.get("segmentQualificationTime") or {}
    merge_policy = job.merge_policy or None
    inputs: dict[str, Any] = {
        "dataset_id": job.dataset_id,
        "schema_name": (job.schema_ or {}).get("name"),
        "fields": [f.strip() for f in job.fields.split(",") if f.strip()] if job.fields else None,
        "merge_policy": {k: v for k, v in merge_policy.items() if k in ("id", "version")}
        if merge_policy
        else None,
        "event_list": {
            k: v
            for k, v in {
                "fields": [f for f in (event_list.get("fields") or "").split(",") if f] or None,
                "from_ingest_timestamp": (event_list.get("filter") or {}).get(
                    "fromIngestTimestamp"
                ),
            }.items()
            if v is not None
        }
        if isinstance(event_list, Mapping)
        else None,
        "segments": [
            {
                k: v
                for k, v in {
                    "segment_id": s.get("segmentId"),
                    "segment_ns": s.get("segmentNs"),
                    "status": s.get("status"),
                }.items()
                if v is not None
            }
            for s in segments
            if isinstance(s, Mapping)
        ]
        if isinstance(segments, list) and segments
        else None,
        "segment_qualification_time": {
            k: v
            for k, v in {
                "start_time": qual.get("startTime"),
                "end_time": qual.get("endTime"),
            }.items()
            if v is not None
        }
        or None,
        "from_ingest_timestamp": api_filter.get("fromIngestTimestamp"),
        "empty_profiles": api_filter.get("emptyProfiles"),
        "segment_per_batch": bool(job.destination.segment_per_batch),
    }
    return {k: v for k, v in inputs.items() if v is not None}
