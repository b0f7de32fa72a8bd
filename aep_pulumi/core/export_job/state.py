"""A job record as state, and a job adopted by id.

The state: the outputs AEP decides, the inputs that would recreate a job, its errors, and the
upgrade of states written by earlier releases (read where a state is compared or reused).

Adoption (``pulumi import``, ``import`` options, ``ProfileExportJob.get``): AEP's job records carry the dataset, schema, merge policy and batch, but not ``fields``, the
``filter`` (segments, timestamps, empty profiles) or ``additionalFields`` (the event list); and
``triggers`` never reach AEP at all. So an adopted job's state leaves those inputs empty, and the
program that declares them would otherwise replace the job, exporting again: the very thing an
import is for avoiding. Instead the program's values fill them in place, when they can be
checked against what the job was made from: the request fingerprint its claim on the target
dataset records (a job made by this package, on either door). A job made outside Pulumi has no
claim; its inputs cannot be checked, so the program's values are taken with a warning that says
so. Anything the record does tell still replaces when it differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ...aep.ids import job_id_text
from ...errors import AepClaimsError
from ..context import Context
from ..shapes import ExportJobInputKey, ExportJobInputs, ExportJobState, ExportWaitState
from ..values import contains_unknown
from .claims import ClaimedDataset, claim_job, read_claims, request_fingerprint

if TYPE_CHECKING:
    from ...aep.models import ExportJob


def describe_job_errors(job: ExportJob) -> str:
    """AEP's error codes and messages of a failed job, in one line."""
    if not job.errors:
        return "AEP gave no error details"
    return "; ".join(f"[{e.code or 'no code'}] {e.msg or 'no message'}" for e in job.errors)


def job_outputs(job: ExportJob) -> ExportJobState:
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
    """Inputs that would recreate ``job``: used when adopting an existing job by id (a raw
    property bag, for the check)."""
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


Upgradable = TypeVar("Upgradable", ExportJobState, ExportWaitState)


def upgraded(olds: Upgradable) -> Upgradable:
    """A job's or a wait's state as this release writes it.

    States written before ``report_files`` existed reported no files: that was its default,
    ``true``, now written out so that a diff does not see a change.
    """
    state = olds.copy()
    if state.get("report_files") is None:
        state["report_files"] = True
    return state


# ProfileExportJob inputs that a job record may not tell.
UNTOLD: tuple[ExportJobInputKey, ...] = (
    "fields",
    "event_list",
    "segments",
    "segment_qualification_time",
    "from_ingest_timestamp",
    "empty_profiles",
    "triggers",
)
# The state key that marks an adopted job: its claim's request fingerprint ("" when unclaimed).
MARK: Final = "adopted_request"


# The owner a claim names when a job was adopted by id (its request is not known).
ADOPTED_OWNER = "adopted-by-id"


def adoption_mark(ctx: Context, sandbox: str, dataset_id: str, job_id: int) -> str:
    """What an adopted job's state records: the request its claim names, or "" (no claim).

    A job nobody claimed is claimed now, so that no stack's search for a lost answer takes it
    for its own. A claims read that fails raises (an unknown claim is not "no claim")."""
    dataset = ClaimedDataset(sandbox, dataset_id)
    claims, _ = read_claims(ctx, dataset)
    claim = claims.get(job_id)
    if claim is not None:
        return claim.request
    try:
        claim_job(ctx, dataset, job_id, ADOPTED_OWNER, "")
    except AepClaimsError as exc:
        ctx.log.warn(f"{exc.message}; export job {job_id} is adopted unclaimed")
    return ""


def filled_by_program(
    olds: ExportJobState,
    inputs: ExportJobInputs,
    replaces: list[str],
    request_body: Callable[[ExportJobInputs], Mapping[str, Any]],
    warn: Callable[[str], None],
) -> list[str]:
    """Among ``replaces``, the inputs an adopted job's state left empty that the program's
    ``inputs`` may fill in place (empty when the state is not an adoption, or the program
    describes another request than the job's claim)."""
    mark = olds.get(MARK)
    if not isinstance(mark, str):
        return []
    untold: list[str] = [k for k in replaces if k in UNTOLD and olds.get(k) is None]
    if not untold or len(untold) != len(replaces) or contains_unknown(dict(inputs)):
        return []
    if mark:
        fingerprint = request_fingerprint(request_body(inputs), inputs.get("triggers"))
        return untold if fingerprint == mark else []
    warn(
        f"export job {job_id_text(olds.get('job_id'))} was adopted by id and AEP does not tell its "
        f"{', '.join(untold)}: the stack takes the program's, unchecked"
    )
    return untold
