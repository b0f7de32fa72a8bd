"""An export job whose ``POST`` answer was lost: find out what AEP did, never submit twice.

When a ``POST`` may have taken effect (no answer, a 5xx after the body was sent, an unreadable
2xx) the client raises instead of retrying, and the create is never submitted again: AEP may
process a request after the client gave up, and list a new job only tens of seconds later. An
export job carries nothing of its own in its body, so the lost request is recorded on the
dataset and the job listing is watched for ``aep:lostAnswerSearchSeconds`` (AEP's time, not the
HTTP timeout's): from the request's send time (in AEP's clock) to the end of the search. The jobs
created in that window that could be this request's (:func:`~.job_request.compare_job`), that
no stack claims (:mod:`.claims`) and that this run does not hold are the candidates. The one
whose record carries the request's ``x-request-id`` is this request's job and is adopted (and
claimed); any other candidate is never adopted on a guess: the create fails naming them, and the
lost request stays recorded on the dataset, so the next ``up`` looks again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import AepClaimsError, AepError, AepOwnershipError
from ..context import Context
from ..waiter import poll_until
from .claims import (
    Claim,
    ClaimedDataset,
    LostAnswer,
    claim_is_owned_by,
    claim_job,
    read_claims,
    record_lost_answer,
)
from .request import JobRequest, Verdict, compare_job

if TYPE_CHECKING:
    from ...aep.client import AepClient
    from ...aep.models import ExportJob

# How far AEP's `creationTime` may lie before our estimate of the send time: `Date` has a
# one-second resolution, and AEP's own machines may disagree a little.
SKEW_MARGIN_MS = 2_000
# Before any answer told us AEP's clock: a machine's clock may be minutes off (a resumed VM).
UNKNOWN_CLOCK_MARGIN_MS = 10 * 60_000
# A listing search stops here (100 jobs a page): far more jobs than minutes of AEP's history.
MAX_SEARCH_PAGES = 200

Candidates = list[tuple["ExportJob", str]]


@dataclass(frozen=True)
class Window:
    """Creation times (AEP's epoch ms) that a request's job can have."""

    start_ms: int
    end_ms: int

    def holds(self, job: ExportJob) -> bool:
        created = job.creation_time
        return created is None or self.start_ms <= created <= self.end_ms


def window_after(client: AepClient, sent_wall: float, search_seconds: float) -> Window:
    """The window of a request sent at ``sent_wall`` (our clock), in AEP's clock as the latest
    answer tells it; wider when no answer has told it yet."""
    margin = SKEW_MARGIN_MS if client.clock.offset_ms is not None else UNKNOWN_CLOCK_MARGIN_MS
    sent = client.clock.to_server_ms(sent_wall)
    return Window(sent - margin, sent + int(search_seconds * 1000) + margin)


def jobs_since(client: AepClient, sandbox: str, since_ms: int) -> Iterator[ExportJob]:
    """The sandbox's jobs created at or after ``since_ms``, newest first, across pages."""
    for job in client.iter_export_jobs(sandbox=sandbox, limit=100, max_pages=MAX_SEARCH_PAGES):
        if job.creation_time is not None and job.creation_time < since_ms:
            return
        yield job


def job_record(job: ExportJob) -> dict[str, Any]:
    """A job as the API returned it, for :func:`~.job_request.compare_job`."""
    return job.model_dump(by_alias=True, mode="json", exclude_none=True)


def look_alikes(
    jobs: Iterator[ExportJob] | list[ExportJob],
    body: Mapping[str, Any],
    *,
    window: Window | None = None,
    exclude: set[int] | frozenset[int] = frozenset(),
) -> list[tuple[ExportJob, Verdict, str]]:
    """The jobs that could be ``body``'s result: in the window, not excluded, not DIFFERENT."""
    found: list[tuple[ExportJob, Verdict, str]] = []
    for job in jobs:
        if job.id in exclude or (window is not None and not window.holds(job)):
            continue
        verdict, reason = compare_job(job_record(job), body)
        if verdict is not Verdict.DIFFERENT:
            found.append((job, verdict, reason))
    return found


def unclaimed_look_alikes(
    candidates: Candidates,
    lost: LostAnswer | None = None,
    others: list[LostAnswer] | None = None,
) -> AepOwnershipError:
    """The refusal to adopt jobs nobody claims (the one rule: such a job is adopted only when
    its record carries the request id this request sent). It never advises cancelling one: a job
    nobody claims may be another stack's, or another tool's."""
    listed = ", ".join(f"{job.id} ({reason})" for job, reason in candidates)
    owners = sorted({record.owner or "another stack" for record in others or []})
    theirs = (
        f" Another stack's request lost its answer into this dataset too ({', '.join(owners)}): "
        "one of them may be its export."
        if owners
        else ""
    )
    kept = (
        f" The request stays recorded on the dataset (tag {lost.tag}), so the next `pulumi up` "
        "stops here too until these jobs are claimed or gone."
        if lost is not None
        else ""
    )
    return AepOwnershipError(
        f"export job(s) {listed} could be its result, but nobody claims them and AEP's record "
        "does not carry this request's id, so they could as well be another client's. None was "
        f"adopted and the request was not submitted again.{theirs}{kept} If one is this "
        "resource's, adopt it by id (`ProfileExportJob.get(name, id)`, or `pulumi import` on the "
        "native provider), which claims it; cancel a job only when you know nobody holds it; "
        "or change `triggers` to export anew",
        operation="create export job",
    )


def _iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat(
        timespec="seconds"
    )


def search_seconds(ctx: Context) -> float:
    """How long a lost answer is searched for (``aep:lostAnswerSearchSeconds``)."""
    return ctx.settings().lost_answer_search


def candidates(
    ctx: Context, request: JobRequest, window: Window, claims: Mapping[int, Claim]
) -> Candidates:
    """Look-alikes of ``request`` in the window that nobody claims and no state of this run
    holds."""
    exclude = ctx.jobs.claimed(request.sandbox) | ctx.held.ids(request.sandbox) | set(claims)
    listed = jobs_since(ctx.client(), request.sandbox, window.start_ms)
    return [
        (job, reason)
        for job, _, reason in look_alikes(listed, request.api_body, window=window, exclude=exclude)
    ]


def proven(request: JobRequest, found: Candidates) -> ExportJob | None:
    """The one candidate whose record carries the request's id (positive evidence)."""
    mine = [job for job, _ in found if request.key and job.request_id == request.key]
    return mine[0] if len(mine) == 1 else None


def watch(ctx: Context, request: JobRequest, sent_wall: float, deadline: float) -> None:
    """Poll the listing, with backoff, until ``deadline`` (monotonic) or until the job that
    carries the request's id appears: say what appears."""
    seen: set[int] = set()

    def look() -> ExportJob | None:
        window = window_after(ctx.client(), sent_wall, search_seconds(ctx))
        try:
            found = candidates(ctx, request, window, {})
        except AepError as exc:
            ctx.log.warn(f"looking for the lost export job: {exc}; still looking")
            found = []
        for job, _ in found:
            if job.id not in seen:
                seen.add(job.id)
                ctx.log.info(
                    f"export job {job.id} into dataset {request.dataset_id} appeared in the listing"
                )
        return proven(request, found)

    poll_until(ctx, deadline, look, first=1.0, longest=15.0)


def _decide(
    ctx: Context, request: JobRequest, sent_wall: float, lost: LostAnswer | None
) -> ExportJob | None:
    """After the watch: the candidate proven the request's; ``None`` when there is no
    candidate; :class:`AepOwnershipError` naming the candidates when none is proven; an
    :class:`AepError` when the claims cannot be read (nothing is adopted blind)."""
    window = window_after(ctx.client(), sent_wall, search_seconds(ctx))
    claimed, lost_records = read_claims(ctx, ClaimedDataset(request.sandbox, request.dataset_id))
    found = candidates(ctx, request, window, claimed)
    job = proven(request, found)
    if job is not None:
        return job
    if found:
        theirs = [r for r in lost_records if not claim_is_owned_by(r, request.owner)]
        raise unclaimed_look_alikes(found, lost, theirs)
    return None


def _not_found(
    ctx: Context, request: JobRequest, sent_wall: float, exc: AepError, lost: LostAnswer | None
) -> AepError:
    """The error of a search that found nothing: it never claims that nothing was created."""
    sent = ctx.client().clock.to_server_ms(sent_wall)
    recorded = (
        f"(the request is recorded on dataset {request.dataset_id} as tag {lost.tag})"
        if lost is not None
        else "(recording the request on the dataset failed, so it will not know it)"
    )
    return exc.with_message(
        f"{exc.message}. AEP listed no job from this request within "
        f"{search_seconds(ctx):g}s (aep:lostAnswerSearchSeconds) of sending it, but it may "
        f"still appear: the next `pulumi up` looks for it again {recorded}. To check: GET "
        f"/data/core/ups/export/jobs, for a job into dataset {request.dataset_id} created "
        f"after {_iso(sent)}"
    )


def search_lost_job(
    ctx: Context, request: JobRequest, exc: AepError, sent_wall: float, started: float
) -> ExportJob:
    """Record the lost request, watch the listing until the window closes (or the job carrying
    the request's id appears), then decide; the job adopted is claimed."""
    dataset = ClaimedDataset(request.sandbox, request.dataset_id)
    sent_ms = ctx.client().clock.to_server_ms(sent_wall)
    lost = record_lost_answer(
        ctx, dataset, request.owner, request.fingerprint, sent_ms, request.key
    )
    ctx.log.warn(
        f"{exc.operation or 'create export job'}: {exc.message}; watching the job listing "
        f"for up to {search_seconds(ctx):g}s for the job AEP may have made"
    )
    watch(ctx, request, sent_wall, started + search_seconds(ctx))
    try:
        job = _decide(ctx, request, sent_wall, lost)
    except AepOwnershipError as refused:
        raise refused.with_message(f"{exc.message}; {refused.message}") from None
    except AepError as lookup_error:
        failed = exc.with_message(f"{exc.message}; the last look failed ({lookup_error})")
        raise _not_found(ctx, request, sent_wall, failed, lost) from None
    if job is None:
        raise _not_found(ctx, request, sent_wall, exc, lost) from None
    try:
        claim_job(ctx, dataset, job.id, request.owner, request.fingerprint, resolves=lost)
    except AepClaimsError as claim_error:
        raise claim_error.with_message(
            f"{exc.message}; export job {job.id} carries this request's id, but "
            f"{claim_error.message}, so it was not adopted: the next `pulumi up` looks again"
        ) from None
    ctx.jobs.claim(request.sandbox, job.id)
    ctx.log.warn(
        f"{exc.operation or 'create export job'}: {exc.message}; export job {job.id} carries "
        "this request's id, so it was created all the same and is adopted"
    )
    return job
