"""Creates whose answer was lost: find out what AEP did, never submit twice.

When a ``POST`` may have taken effect (no answer, a 5xx after the body was sent, an unreadable
2xx) the client raises instead of retrying, and the create is never submitted again: AEP may
process a request after the client gave up, and list a new job only tens of seconds later.
Instead the create looks, for ``aep:lostAnswerSearchSeconds`` (AEP's time, not the HTTP
timeout's):

* a dataset carries a one-off tag (``aep-pulumi/createToken: <uuid>``), found through Catalog's
  ``tags`` filter: the dataset with that token is this create's, adopted as soon as it is seen;
* an export job carries nothing of its own, so the job listing is watched until the window
  closes: the request's send time (in AEP's clock) to the end of the search. The jobs created in
  the window that could be this request's (:mod:`.job_match`), that no stack claims
  (:mod:`.claims`) and that this run does not hold are the candidates. Exactly one: it is this
  request's job and is adopted (and claimed). None, or several: the create fails, saying what to
  check; the lost request stays recorded on the dataset, and the next ``up`` looks again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import AepClaimsError, AepError, AepOwnershipError
from .claims import Claim, DatasetClaims, LostAnswer, claim_is_owned_by
from .context import Context
from .job_match import Verdict, compare_job

if TYPE_CHECKING:
    from ..aep.client import AepClient
    from ..aep.models import ExportJob

CREATE_TOKEN_TAG = "aep-pulumi/createToken"
# How far AEP's `creationTime` may lie before our estimate of the send time: `Date` has a
# one-second resolution, and AEP's own machines may disagree a little.
SKEW_MARGIN_MS = 2_000
# Before any answer told us AEP's clock: a machine's clock may be minutes off (a resumed VM).
UNKNOWN_CLOCK_MARGIN_MS = 10 * 60_000
# A listing search stops here (100 jobs a page): far more jobs than minutes of AEP's history.
MAX_SEARCH_PAGES = 200
T = TypeVar("T")


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
    """A job as the API returned it, for :func:`~.job_match.compare_job`."""
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
    candidates: list[tuple[ExportJob, str]],
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


@dataclass
class Submit:
    """One resource's ``POST /export/jobs``: where it goes, what it sends, whose it is."""

    ctx: Context
    sandbox: str
    dataset_id: str
    body: Mapping[str, Any]
    owner: str
    fingerprint: str

    def lost_at(self, sent_wall: float, request_key: str) -> LostJobSearch:
        """The search for this submit's job, had its answer been lost after ``sent_wall``
        (``request_key``: the ``x-request-id`` it was sent with; "" when unknown)."""
        return LostJobSearch(
            self.ctx,
            self.sandbox,
            self.dataset_id,
            self.body,
            self.owner,
            self.fingerprint,
            sent_wall,
            request_key,
        )


@dataclass
class LostJobSearch(Submit):
    """The search for the job of one lost ``POST /export/jobs``."""

    sent_wall: float
    request_key: str

    @property
    def search_seconds(self) -> float:
        return self.ctx.settings().lost_answer_search

    def candidates(
        self, window: Window, claims: Mapping[int, Claim]
    ) -> list[tuple[ExportJob, str]]:
        """Look-alikes in the window that nobody claims and no state of this run holds."""
        client = self.ctx.client()
        exclude = (
            self.ctx.jobs.claimed(self.sandbox) | self.ctx.held.ids(self.sandbox) | set(claims)
        )
        return [
            (job, reason)
            for job, _, reason in look_alikes(
                jobs_since(client, self.sandbox, window.start_ms),
                self.body,
                window=window,
                exclude=exclude,
            )
        ]

    def proven(self, found: list[tuple[ExportJob, str]]) -> ExportJob | None:
        """The one candidate whose record carries this request's id (positive evidence)."""
        mine = [job for job, _ in found if self.request_key and job.request_id == self.request_key]
        return mine[0] if len(mine) == 1 else None

    def watch(self, deadline: float) -> None:
        """Poll the listing, with backoff, until ``deadline`` (monotonic) or until the job
        that carries this request's id appears: say what appears."""
        interval, seen = 1.0, set()
        while True:
            window = window_after(self.ctx.client(), self.sent_wall, self.search_seconds)
            try:
                found = self.candidates(window, {})
            except AepError as exc:
                self.ctx.log.warn(f"looking for the lost export job: {exc}; still looking")
                found = []
            for job, _ in found:
                if job.id not in seen:
                    seen.add(job.id)
                    self.ctx.log.info(
                        f"export job {job.id} into dataset {self.dataset_id} appeared in "
                        "the listing"
                    )
            if self.proven(found) is not None:
                return
            now = self.ctx.monotonic()
            if now >= deadline:
                return
            self.ctx.sleep(min(interval, deadline - now))
            interval = min(interval * 1.5, 15.0)

    def decide(self, lost: LostAnswer | None) -> ExportJob | None:
        """After the watch: the candidate proven this request's; ``None`` when there is no
        candidate; :class:`AepOwnershipError` naming the candidates when none is proven; an
        :class:`AepError` when the claims cannot be read (nothing is adopted blind)."""
        claims = DatasetClaims(self.ctx, self.sandbox, self.dataset_id)
        window = window_after(self.ctx.client(), self.sent_wall, self.search_seconds)
        claimed, lost_records = claims.read()
        found = self.candidates(window, claimed)
        proven = self.proven(found)
        if proven is not None:
            return proven
        if found:
            theirs = [r for r in lost_records if not claim_is_owned_by(r, self.owner)]
            raise unclaimed_look_alikes(found, lost, theirs)
        return None

    def not_found(self, exc: AepError, lost: LostAnswer | None) -> AepError:
        """The error of a search that found nothing: it never claims that nothing was created."""
        sent = self.ctx.client().clock.to_server_ms(self.sent_wall)
        recorded = (
            f"(the request is recorded on dataset {self.dataset_id} as tag {lost.tag})"
            if lost is not None
            else "(recording the request on the dataset failed, so it will not know it)"
        )
        return exc.with_message(
            f"{exc.message}. AEP listed no job from this request within "
            f"{self.search_seconds:g}s (aep:lostAnswerSearchSeconds) of sending it, but it may "
            f"still appear: the next `pulumi up` looks for it again {recorded}. To check: GET "
            f"/data/core/ups/export/jobs, for a job into dataset {self.dataset_id} created "
            f"after {_iso(sent)}"
        )

    def resolve(self, exc: AepError, started: float) -> ExportJob:
        """Record the lost request, watch the listing until the window closes (or the job
        carrying this request's id appears), then decide; the job adopted is claimed."""
        sent_ms = self.ctx.client().clock.to_server_ms(self.sent_wall)
        claims = DatasetClaims(self.ctx, self.sandbox, self.dataset_id)
        lost = claims.record_lost(self.owner, self.fingerprint, sent_ms, self.request_key)
        self.ctx.log.warn(
            f"{exc.operation or 'create export job'}: {exc.message}; watching the job listing "
            f"for up to {self.search_seconds:g}s for the job AEP may have made"
        )
        self.watch(started + self.search_seconds)
        try:
            job = self.decide(lost)
        except AepOwnershipError as refused:
            raise refused.with_message(f"{exc.message}; {refused.message}") from None
        except AepError as lookup_error:
            raise self.not_found(
                exc.with_message(f"{exc.message}; the last look failed ({lookup_error})"), lost
            ) from None
        if job is None:
            raise self.not_found(exc, lost) from None
        try:
            claims.claim(job.id, self.owner, self.fingerprint, resolves=lost)
        except AepClaimsError as claim_error:
            raise claim_error.with_message(
                f"{exc.message}; export job {job.id} carries this request's id, but "
                f"{claim_error.message}, so it was not adopted: the next `pulumi up` looks again"
            ) from None
        self.ctx.jobs.claim(self.sandbox, job.id)
        self.ctx.log.warn(
            f"{exc.operation or 'create export job'}: {exc.message}; export job {job.id} carries "
            "this request's id, so it was created all the same and is adopted"
        )
        return job


def submit_once(
    ctx: Context,
    attempt: Callable[[], T],
    resolve: Callable[[AepError], T],
) -> T:
    """Run ``attempt`` once; a failure that may have taken effect goes to ``resolve`` (which
    returns what was made, or raises), never to a second attempt."""
    try:
        return attempt()
    except AepError as exc:
        if not exc.maybe_applied:
            raise
        return resolve(exc)


def find_dataset_by_token(client: AepClient, token: str, sandbox: str) -> str | None:
    found = client.list_datasets(sandbox=sandbox, tags=f"{CREATE_TOKEN_TAG}:{token}")
    matching = [k for k, v in found.items() if token in (v.tags or {}).get(CREATE_TOKEN_TAG, [])]
    return sorted(matching)[0] if matching else None


def resolve_lost_dataset(ctx: Context, exc: AepError, token: str, sandbox: str) -> str:
    """The dataset a lost ``POST /dataSets`` made, found by its create token (polled until the
    search ends), or an error saying what to look for."""
    client = ctx.client()
    search = ctx.settings().lost_answer_search
    deadline = ctx.monotonic() + search
    interval = 0.5
    failure: AepError | None = None
    while True:
        try:
            found = find_dataset_by_token(client, token, sandbox)
        except AepError as lookup_error:
            found, failure = None, lookup_error
        if found is not None:
            ctx.log.warn(
                f"{exc.operation or 'create dataset'}: {exc.message}; the dataset was created "
                "all the same and is adopted"
            )
            return found
        now = ctx.monotonic()
        if now >= deadline:
            break
        ctx.sleep(min(interval, deadline - now))
        interval = min(interval * 1.5, 10.0)
    looked = f"; the last look failed ({failure})" if failure is not None else ""
    raise exc.with_message(
        f"{exc.message}{looked}. Catalog showed no dataset from this request within {search:g}s "
        f"(aep:lostAnswerSearchSeconds); it may still appear, tagged {CREATE_TOKEN_TAG}:{token}. "
        f"If it does, delete it or adopt it with `Dataset.get(name, id)`"
    ) from None


__all__ = [
    "CREATE_TOKEN_TAG",
    "LostJobSearch",
    "Window",
    "find_dataset_by_token",
    "job_record",
    "jobs_since",
    "look_alikes",
    "resolve_lost_dataset",
    "submit_once",
    "unclaimed_look_alikes",
    "window_after",
]
