"""The exactly-once path of one export job: the look before the submit, and the ``POST``.

:func:`look_before_submit`: what earlier runs left on the target dataset that no state holds.

An ``up`` killed while its job ran (a cancelled CI job, a closed laptop) leaves the job in AEP
and nothing in the state; so does a create whose answer was lost. Before submitting, the
jobs of the last day into the same dataset that could be this request's are looked at, except
those a state holds (seen by this run's diffs) and those this run made:

* one this resource claimed for this very request (same request and ``triggers``), not FAILED:
  the earlier run's job, adopted instead of exporting again;
* one whose answer this resource lost (a ``lost`` record on the dataset): the job whose record
  carries that request's ``x-request-id`` is adopted; any other job nobody claims in the
  record's window stops the create (never adopted on a guess); none, once the window has
  closed, means AEP did not process it, and the record goes;
* every other: named in a warning (status, age, who claims it), with how to adopt one
  (``ProfileExportJob.get``) and how to cancel one. A new job is submitted all the same.

A dataset this run created skips all of this: no earlier run can have used it.

:func:`post`: the ``POST`` itself, sent once with the request's ``x-request-id``; a lost
answer is searched for (:mod:`.lost_answer`), never submitted again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from ...aep.statuses import STATUS_FAILED
from ...errors import AepClaimsError, AepError, AepNotFoundError
from ..context import Context
from ..resource import submit_once
from .claims import (
    Claim,
    ClaimedDataset,
    LostAnswer,
    backend_of,
    claim_is_owned_by,
    claim_job,
    claim_tag,
    claims_seen,
    forget_lost_answer,
    read_claims,
    release_claim_tags,
)
from .lost_answer import (
    candidates,
    jobs_since,
    look_alikes,
    proven,
    search_lost_job,
    search_seconds,
    unclaimed_look_alikes,
    watch,
    window_after,
)
from .request import JobRequest

if TYPE_CHECKING:
    from ...aep.models import ExportJob

# How far back to look for jobs an interrupted run left.
HORIZON_MS = 24 * 3600 * 1000
# A claim written this long ago whose job the listing does not show is gone: AEP lists a new
# job within seconds, sometimes tens of seconds, never minutes.
LISTING_GRACE_MS = 10 * 60 * 1000


def post(ctx: Context, request: JobRequest) -> tuple[ExportJob, bool]:
    """``POST /export/jobs`` once: the job, and whether its answer was lost and the search
    found it. A failure that may have taken effect is resolved by looking
    (:func:`~.lost_answer.search_lost_job`, which claims the job it adopts), never by
    submitting again."""
    client = ctx.client()
    sent_wall, started = time.time(), ctx.monotonic()

    def attempt() -> tuple[ExportJob, bool]:
        sent = client.create_export_job(
            request.body, sandbox=request.sandbox, request_id=request.key
        )
        return sent, False

    def resolve(exc: AepError) -> tuple[ExportJob, bool]:
        return search_lost_job(ctx, request, exc, sent_wall, started), True

    return submit_once(ctx, attempt, resolve)


def _recent(ctx: Context, sandbox: str) -> list[ExportJob]:
    """The sandbox's jobs of the last day, listed once per process."""
    client = ctx.client()

    def listed() -> list[ExportJob]:
        return list(jobs_since(client, sandbox, client.server_now_ms() - HORIZON_MS))

    return ctx.recent_jobs.get(sandbox, listed)


def _recent_or_none(ctx: Context, sandbox: str) -> list[ExportJob] | None:
    """:func:`_recent`; ``None`` (with a warning) when it fails and claims are not required."""
    try:
        return _recent(ctx, sandbox)
    except AepError as exc:
        # "Could not look" is not "nothing there": submitting now could export twice.
        if ctx.settings().require_claims:
            raise AepClaimsError(
                f"could not look for export jobs an interrupted run left ({exc}); nothing "
                "was exported, since without that look a repeated `pulumi up` could "
                "export twice. Try again when AEP answers",
                status=exc.status,
                request_id=exc.request_id,
            ) from None
        ctx.log.warn(f"could not look for export jobs left by an interrupted run: {exc}")
        return None


def look_before_submit(ctx: Context, request: JobRequest) -> ExportJob | None:
    """The job to adopt instead of submitting, or ``None`` (after any warning): see the
    module's description."""
    sandbox, dataset_id = request.sandbox, request.dataset_id
    if (sandbox, dataset_id) in ctx.fresh_datasets:
        return None
    recent = _recent_or_none(ctx, sandbox)
    if recent is None:
        return None
    exclude = ctx.jobs.claimed(sandbox) | ctx.held.ids(sandbox)
    twins = [job for job, _, _ in look_alikes(recent, request.api_body, exclude=exclude)]
    claims, lost = claims_seen(ctx, ClaimedDataset(sandbox, dataset_id))
    listed = {job.id: job for job in recent}
    adopted = _claimed_by_me(ctx, request, claims, exclude, listed)
    if adopted is not None:
        ctx.log.warn(
            f"export job {adopted.id} ({adopted.status}) into dataset {dataset_id} was "
            "submitted by an earlier `pulumi up` of this resource that did not finish; it is "
            "adopted instead of exporting again (change `triggers` to export anew)"
        )
    else:
        mine = [x for x in lost if _is_mine(ctx, request, x)]
        adopted = _settle_lost(ctx, request, mine, claims)
    exclude |= {job.id for job in twins}
    twins += _claimed_twins(ctx, request, claims, exclude, listed)
    others = [job for job in twins if adopted is None or job.id != adopted.id]
    if others:
        _warn(ctx, request, others, claims)
    if adopted is not None:
        ctx.jobs.claim(sandbox, adopted.id)
    return adopted


def _job_of(
    ctx: Context, sandbox: str, claim: Claim, listed: Mapping[int, ExportJob]
) -> ExportJob | None:
    """A claimed job, from the day's listing; read by id only when the listing may not show
    it yet (a claim of the last minutes, or one of 0.1.0, which carries no time)."""
    if claim.job_id in listed:
        return listed[claim.job_id]
    now = ctx.client().server_now_ms()
    if claim.at_ms is not None and now - claim.at_ms > LISTING_GRACE_MS:
        return None  # older than a listing's lag and not listed: gone (or beyond the day)
    try:
        return ctx.client().get_export_job(claim.job_id, sandbox=sandbox)
    except AepNotFoundError:
        return None


def _claimed_twins(
    ctx: Context,
    request: JobRequest,
    claims: Mapping[int, Claim],
    exclude: set[int],
    listed: Mapping[int, ExportJob],
) -> list[ExportJob]:
    """Jobs another claim names for this same request (and ``triggers``)."""
    found = []
    for claim in claims.values():
        if (
            claim.request != request.fingerprint
            or claim.job_id in exclude
            or _is_mine(ctx, request, claim)
        ):
            continue
        job = _job_of(ctx, request.sandbox, claim, listed)
        if job is not None:
            found.append(job)
    return found


def _claimed_by_me(
    ctx: Context,
    request: JobRequest,
    claims: Mapping[int, Claim],
    exclude: set[int],
    listed: Mapping[int, ExportJob],
) -> ExportJob | None:
    """The newest job this resource claimed for this request that no state holds and that
    did not fail. This resource's claims of jobs that are gone or FAILED (and that no state
    holds) are pruned, all in one PATCH."""
    mine = sorted(
        (
            c
            for c in claims.values()
            if claim_is_owned_by(c, request.owner, backend_of(ctx)) and c.job_id not in exclude
        ),
        key=lambda c: c.job_id,
        reverse=True,
    )
    found: ExportJob | None = None
    stale: list[str] = []
    for claim in mine:
        job = _job_of(ctx, request.sandbox, claim, listed)
        if job is None or job.status == STATUS_FAILED:
            stale.append(claim_tag(claim.job_id))
        elif found is None and claim.request == request.fingerprint:
            found = job
    if stale:
        release_claim_tags(ctx, ClaimedDataset(request.sandbox, request.dataset_id), stale)
    return found


def _is_mine(ctx: Context, request: JobRequest, claim: Claim | LostAnswer | None) -> bool:
    backend = backend_of(ctx)
    return bool(
        claim is not None
        and claim_is_owned_by(claim, request.owner, backend)
        and claim.request == request.fingerprint
    )


def _settle_lost(
    ctx: Context, request: JobRequest, lost: list[LostAnswer], claims: Mapping[int, Claim]
) -> ExportJob | None:
    """This resource's lost answers: adopt the job one proved it made (its record carries the
    request's id), forget those that made none once their window closed, and stop on any job
    nobody claims that one of them may have made (never adopted on a guess)."""
    client = ctx.client()
    dataset = ClaimedDataset(request.sandbox, request.dataset_id)
    if lost:
        claims = read_claims(ctx, dataset)[0]  # fresh: other stacks may have claimed since
    adopted: ExportJob | None = None
    for record in sorted(lost, key=lambda x: x.sent_ms):
        sent_wall = (record.sent_ms - (client.clock.offset_ms or 0)) / 1000
        earlier = replace(request, key=record.key)
        window = window_after(client, sent_wall, search_seconds(ctx))
        left = (window.end_ms - client.server_now_ms()) / 1000
        if left > 0:
            ctx.log.info(
                f"an earlier `pulumi up` lost the answer to this export's request; waiting "
                f"{left:.0f}s more for AEP to list the job it may have made"
            )
            watch(ctx, earlier, sent_wall, ctx.monotonic() + left)
        found = candidates(ctx, earlier, window, claims)
        job = proven(earlier, found)
        if job is not None and adopted is None:
            adopted = job
            claim_job(ctx, dataset, adopted.id, request.owner, request.fingerprint, resolves=record)
            ctx.log.warn(
                f"export job {adopted.id} ({adopted.status}) carries the id of a request "
                "whose answer an earlier `pulumi up` lost; it is adopted instead of "
                "exporting again"
            )
        elif found:
            raise unclaimed_look_alikes(found, record)
        else:
            forget_lost_answer(ctx, dataset, record)
    return adopted


def _warn(
    ctx: Context, request: JobRequest, jobs: list[ExportJob], claims: Mapping[int, Claim]
) -> None:
    now = ctx.client().server_now_ms()
    backend = backend_of(ctx)

    def described(job: ExportJob) -> str:
        age = f", {max(0, now - job.creation_time) // 60000} min old" if job.creation_time else ""
        claim = claims.get(job.id)
        if claim is None:
            who = "no stack claims it"
        elif claim_is_owned_by(claim, request.owner, backend):
            who = "claimed by this resource in an earlier run that did not finish"
        else:
            who = f"held by {claim.owner or 'another stack'}"
        return f"{job.id} ({job.status}{age}; {who})"

    ctx.log.warn(
        f"export job(s) {', '.join(described(j) for j in jobs)} into dataset "
        f"{request.dataset_id} could be this export, left by an interrupted `pulumi up` or "
        "exported by another stack; the state does not hold them. A new job is submitted "
        "all the same. To keep one instead: `ProfileExportJob.get(name, id)`; to cancel one: "
        "DELETE /data/core/ups/export/jobs/<id> (what `pulumi destroy` does)"
    )
