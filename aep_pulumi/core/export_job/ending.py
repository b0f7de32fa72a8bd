"""How an export job ends when its end was not seen, or when AEP forgot it: its batches decide.

The rule: **a job whose end was not seen is never deleted.** A wait that ends without seeing
the job end (its deadline passed, AEP refused a status read, the job vanished from the record)
looks once more: the job, then its batches in Catalog (another service, which may answer while
the job's does not). Only a job seen running, or seen FAILED, is cancelled.

Jobs AEP forgot: a job record goes after a while, its Catalog batches stay. The batches say
whether the export happened (:func:`batch_verdict`), for a refresh (:func:`judge_forgotten`), a
wait and the last look alike.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...aep.statuses import BATCH_DONE, BATCH_GONE, STATUS_FAILED, STATUS_SUCCEEDED
from ...errors import (
    AepClaimsError,
    AepError,
    AepJobFailedError,
    AepNotFoundError,
    AepPartialState,
    AepWaitTimeoutError,
)
from ..context import Context
from ..resource import GONE, ReadOutcome
from ..shapes import ExportJobState
from .claims import ClaimedDataset, release_claim
from .state import describe_job_errors, job_outputs

if TYPE_CHECKING:
    from ...aep.models import ExportJob


class BatchVerdict(enum.Enum):
    """What a job's batches in Catalog say of its export."""

    DONE = "done"  # every batch holds its data: the export happened
    GONE = "gone"  # one never will, or does not exist
    RUNNING = "running"
    UNKNOWN = "unknown"  # the job names no batch


def judged_batches(state: ExportJobState) -> list[str]:
    """The batches a job's export is judged by: its per-segment batches when it has them (a
    ``segmentPerBatch`` job's top-level batch need not exist in Catalog), else its batch."""
    per_segment = [
        str(b["batch_id"])
        for b in state.get("batches") or []
        if isinstance(b, Mapping) and isinstance(b.get("batch_id"), str) and b.get("batch_id")
    ]
    top = state.get("batch_id")
    return per_segment or ([top] if isinstance(top, str) and top else [])


def batch_verdict(
    ctx: Context, sandbox: str, batch_ids: Iterable[str]
) -> tuple[BatchVerdict, list[str]]:
    """The batches' :class:`BatchVerdict`, and their statuses."""
    wanted = list(batch_ids)
    if not wanted:
        return BatchVerdict.UNKNOWN, []
    client = ctx.client()
    statuses = []
    for batch_id in wanted:
        try:
            statuses.append(str(client.get_batch(batch_id, sandbox=sandbox).get("status")).lower())
        except AepNotFoundError:
            statuses.append("missing")
    if all(s in BATCH_DONE for s in statuses):
        return BatchVerdict.DONE, statuses
    if any(s in BATCH_GONE or s == "missing" for s in statuses):
        return BatchVerdict.GONE, statuses
    return BatchVerdict.RUNNING, statuses


def judge_forgotten(
    ctx: Context, id_: str, props: ExportJobState, sandbox: str
) -> ReadOutcome[ExportJobState]:
    """A refresh of a job AEP no longer knows: its batches say whether the export happened."""
    verdict, statuses = batch_verdict(ctx, sandbox, judged_batches(props))
    if verdict in (BatchVerdict.GONE, BatchVerdict.UNKNOWN):
        return GONE
    kept = props.copy()
    if verdict is BatchVerdict.DONE:
        # The export happened; AEP merely forgot the job record.
        kept["status"] = STATUS_SUCCEEDED
        return ReadOutcome(id_, kept)
    ctx.log.warn(
        f"export job {id_} is no longer known to AEP and its batch is still "
        f"{', '.join(sorted(set(statuses)))}; keeping it until the batch ends"
    )
    kept["status"] = "PROCESSING"
    return ReadOutcome(id_, kept)


def discard(ctx: Context, job_id: int, sandbox: str, dataset_id: str | None) -> str:
    """Cancel/delete a job seen running or FAILED that the create will not keep, and release
    its claim; what happened, for the error message."""
    try:
        ctx.client().cancel_export_job(job_id, sandbox=sandbox)
    except AepError as exc:
        return f"cancelling it failed too ({exc}); job {job_id} may still exist in AEP"
    if dataset_id:
        release_claim(ctx, ClaimedDataset(sandbox, dataset_id), job_id)
    return f"job {job_id} was cancelled and deleted in AEP"


def server_time_text(ctx: Context) -> str:
    """AEP's time now, as the latest answer told it (ISO 8601, seconds)."""
    ms = ctx.client().server_now_ms()
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat(
        timespec="seconds"
    )


def final_look(ctx: Context, sandbox: str, job: ExportJob) -> tuple[ExportJob | None, str]:
    """The job as AEP tells it now (``None`` when nothing tells), and what was seen when."""
    try:
        now = ctx.client().get_export_job(job.id, sandbox=sandbox)
    except AepError as exc:
        looked = f"reading export job {job.id} failed at {server_time_text(ctx)} ({exc})"
    else:
        return now, f"export job {job.id} was {now.status} at {server_time_text(ctx)}"
    try:
        verdict, statuses = batch_verdict(ctx, sandbox, judged_batches(job_outputs(job)))
    except AepError as batch_error:
        return None, f"{looked}, and so did reading its batch ({batch_error})"
    told = ", ".join(statuses) or "unknown"
    if verdict is BatchVerdict.DONE:
        done = job.model_copy(update={"status": STATUS_SUCCEEDED})
        return done, f"{looked}, but its batch is {told}: the export happened"
    if verdict is BatchVerdict.GONE:
        return job.model_copy(update={"status": STATUS_FAILED}), f"{looked}; its batch is {told}"
    return None, f"{looked}, and its batch is {told}"


@dataclass(frozen=True)
class UnseenEnd:
    """Where one create's job lives, for the end of a job the create did not see end (or
    cannot claim). ``state_of`` gives the state a front door that records partial state
    keeps."""

    sandbox: str
    dataset_id: str
    state_of: Callable[[ExportJob], ExportJobState]


def left_unseen(
    ctx: Context, end: UnseenEnd, job: ExportJob, why: str, *, claimed: bool = True
) -> AepError:
    """A job whose end was not seen is kept: the native door holds it in the stack (partial
    state); the dynamic door fails naming it, and its claim stays, so the next `pulumi up`
    adopts it instead of exporting again."""
    message = (
        f"{why}; export job {job.id} was left as it is in AEP (its end was not seen, so it "
        "was not cancelled)"
    )
    if ctx.partial_state:
        return AepPartialState(
            f"{message}: the stack holds it and the next `pulumi up` waits for it",
            object_id=str(job.id),
            state=end.state_of(job),
        )
    if claimed:
        return AepError(
            f"{message}: its claim on dataset {end.dataset_id} stays, so the next "
            "`pulumi up` adopts it instead of exporting again",
            operation="create export job",
        )
    return AepError(
        f"{message}: it is not claimed, so the next `pulumi up` cannot know it is this "
        f"resource's. Adopt it by id (`ProfileExportJob.get(name, '{job.id}')`) or cancel "
        f"it (DELETE /data/core/ups/export/jobs/{job.id}) before running `pulumi up` again",
        operation="create export job",
    )


def settle_unseen(
    ctx: Context, end: UnseenEnd, job: ExportJob, why: str, hint: str = ""
) -> ExportJob:
    """The wait ended without seeing the job end: look once more. SUCCEEDED: the create
    succeeds (returned); FAILED or seen running: cancelled and its claim released; not seen:
    kept (:func:`left_unseen`)."""
    now, seen = final_look(ctx, end.sandbox, job)
    if now is None:
        raise left_unseen(ctx, end, job, f"{why}; {seen}")
    if now.status == STATUS_SUCCEEDED:
        ctx.log.warn(f"{why}; {seen}: it finished late, and the create succeeds")
        return now
    cleanup = discard(ctx, job.id, end.sandbox, end.dataset_id)
    if now.status == STATUS_FAILED:
        raise AepJobFailedError(
            f"export job {job.id} FAILED: {describe_job_errors(now)}; {cleanup}",
            request_id=now.request_id,
        )
    raise AepWaitTimeoutError(f"{why}; {seen}; {cleanup}{hint}")


def settle_unclaimed(
    ctx: Context, end: UnseenEnd, job: ExportJob, exc: AepClaimsError
) -> ExportJob:
    """A job submitted whose claim cannot be written: nothing would stop the next `up` from
    exporting it again, so it does not run on unprotected: cancelled when seen running, kept
    when it already SUCCEEDED (the state holds it), named when unreadable."""
    try:
        now = ctx.client().get_export_job(job.id, sandbox=end.sandbox)
    except AepError as read_error:
        raise left_unseen(
            ctx,
            end,
            job,
            f"{exc.message}, and reading the job failed too ({read_error})",
            claimed=False,
        ) from None
    if now.status == STATUS_SUCCEEDED:
        ctx.log.warn(f"{exc.message}; export job {job.id} has already SUCCEEDED: kept")
        return now
    cleanup = discard(ctx, job.id, end.sandbox, end.dataset_id)
    raise exc.with_message(f"{exc.message}; export job {job.id} was {now.status}: {cleanup}")
