"""Polling export jobs to a terminal state: a deadline, capped exponential backoff with jitter.

One :func:`wait_for_jobs` call polls any number of jobs with a single loop, so a stack with many
exports does not need a thread per job.

Each round pages through the listing (from ``LIST_POLL_THRESHOLD`` jobs up) and GETs only the
jobs it did not show. The first poll comes after one initial interval (AEP has only just taken
the jobs). Every status change is reported through ``progress`` and, while nothing changes, the
elapsed time at most once per ``heartbeat_every`` seconds. Unknown statuses are reported once
through ``warn`` and treated as still running. A job that AEP stops returning (404) is recorded
in ``missing``. When AEP keeps throttling (429 after the client's own retries) the round is
skipped and the interval grows; an outage (5xx, dropped connections, unreadable answers, IMS
failing, after the client's own retries) skips rounds the same way until it ends. Only a
terminal status, the deadline, or a definitive refusal (401/403, a 4xx) ends the wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ..aep.statuses import KNOWN_STATUSES, STATUS_FAILED, STATUS_SUCCEEDED
from ..config import DEFAULT_POLL_INITIAL, DEFAULT_POLL_MAX
from ..errors import (
    AepConnectionError,
    AepNotFoundError,
    AepResponseError,
    AepServerError,
    AepThrottledError,
)

if TYPE_CHECKING:
    from ..aep.client import AepClient
    from ..aep.models import ExportJob
    from ..settings import AepSettings
    from .context import Context

ProgressFn = Callable[[str], None]
Found = TypeVar("Found")
# From this many jobs up, listings replace a GET per job.
LIST_POLL_THRESHOLD = 2
# Jobs a listing page holds (the API's maximum).
LIST_PAGE_SIZE = 100
# GETs in flight at once for jobs no listing showed.
MAX_PARALLEL_GETS = 4
# Failures of a status check that say nothing about the job (after the client's own retries).
TRANSIENT = (AepServerError, AepConnectionError, AepResponseError)
# Each interval is at most this share of the time waited so far.
DEFAULT_FRACTION = 0.24


def poll_until(
    ctx: Context,
    deadline: float,
    look: Callable[[], Found | None],
    *,
    first: float,
    longest: float,
) -> Found | None:
    """Look until ``look`` finds something or ``deadline`` (the context's monotonic clock)
    passes, each pause half as long again as the one before, up to ``longest``; the last look
    comes at the deadline. What was found, or ``None``. (The searches for what a lost answer
    made; a job's own wait has its schedule, :class:`PollSchedule`.)"""
    interval = first
    while True:
        found = look()
        if found is not None:
            return found
        now = ctx.monotonic()
        if now >= deadline:
            return None
        ctx.sleep(min(interval, deadline - now))
        interval = min(interval * 1.5, longest)


@dataclass(frozen=True)
class PollSchedule:
    """Intervals between polls, proportional to the time already waited.

    The first poll comes after ``initial`` seconds; each next interval is ``fraction`` of the
    time waited so far, never shorter than ``initial`` and never longer than ``maximum``. A job
    that ends D seconds into the wait is therefore noticed within ``max(initial, fraction * D)``
    seconds, and never more than ``maximum`` late: with the defaults, within 2 s of a job of up
    to 8 s and within 24 % of any longer one, for about 9 polls in the first 20 s and one every
    30 s after the first two minutes. Jitter only shortens an interval, so it never breaks that
    bound.

    Jobs submitted together end together: once a poll has seen some of a wait's jobs end while
    others still run, the next poll comes after ``initial`` seconds (``ending``), and so on while
    polls keep seeing jobs end. The last jobs of a wave are then noticed within ``initial``
    seconds of their end, and their files are listed while the others end, not all after the
    last one. A poll that sees none end returns to the proportional interval: each quick poll
    follows a round that saw at least one job end, so there are never more quick polls than
    jobs.
    """

    initial: float = DEFAULT_POLL_INITIAL
    maximum: float = DEFAULT_POLL_MAX
    fraction: float = DEFAULT_FRACTION
    jitter: float = 0.05

    @classmethod
    def from_settings(cls, settings: AepSettings) -> PollSchedule:
        """The schedule the configuration asks for (``aep:pollInitialSeconds``...)."""
        return cls(initial=settings.poll_initial_interval, maximum=settings.poll_max_interval)

    def base_interval(self, waited: float, slowdown: int = 0, *, ending: bool = False) -> float:
        """Seconds until the next poll after ``waited`` seconds, without jitter.

        ``slowdown`` doubles the interval that many times (AEP throttling us), within ``maximum``.
        ``ending``: the last poll saw jobs end while others run (the shortest interval).
        """
        proportional = self.initial if ending else max(self.initial, self.fraction * waited)
        return float(min(self.maximum, proportional * 2 ** min(slowdown, 16)))

    def interval(self, waited: float, slowdown: int = 0, *, ending: bool = False) -> float:
        """Seconds until the next poll after ``waited`` seconds, with jitter."""
        jitter = 1 - random.uniform(0, self.jitter)
        return self.base_interval(waited, slowdown, ending=ending) * jitter


@dataclass
class WaitOutcome:
    """What a wait saw: the last known state of every job, and whether time ran out."""

    jobs: dict[int, ExportJob] = field(default_factory=dict)
    missing: set[int] = field(default_factory=set)
    timed_out: bool = False
    polls: int = 0

    @property
    def failed(self) -> list[ExportJob]:
        return [j for j in self.jobs.values() if j.status == STATUS_FAILED]

    @property
    def pending(self) -> list[ExportJob]:
        return [j for j in self.jobs.values() if not j.is_terminal]


def _format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


# A round's jobs that changed the same way are named one by one up to this many.
NAMED_CHANGES = 3


def _report_changes(
    changes: dict[tuple[str, str], list[int]], elapsed: str, progress: ProgressFn
) -> None:
    """One line per kind of change a round saw, not one per job: a wait for 500 jobs would
    otherwise send the engine a thousand lines (and wait for each) while the jobs end."""
    for (old, new), ids in changes.items():
        if len(ids) <= NAMED_CHANGES:
            for job_id in ids:
                progress(f"export job {job_id}: {old} -> {new} after {elapsed}")
            continue
        named = ", ".join(str(i) for i in ids[:NAMED_CHANGES])
        rest = len(ids) - NAMED_CHANGES
        progress(f"export jobs {named} and {rest} more: {old} -> {new} after {elapsed}")


@dataclass
class ListingState:
    """Where a wait's listing walks start, carried from one round to the next."""

    resume_offset: str | None = None


@dataclass
class ListingRound:
    """What one walk through the listing found, and where the next walk may start."""

    seen: dict[int, ExportJob]
    pages: int
    # The cursor of the first page that held a pending job, when every page before it held none
    # (other clients' newer jobs): later rounds start there. None: start at the newest job.
    resume_offset: str | None


def _list_round(
    client: AepClient,
    pending: list[ExportJob],
    sandbox: str | None,
    start_offset: str | None = None,
) -> ListingRound:
    """Page through the listing, newest first, until every pending job was seen or the pages
    are older than the oldest pending job.

    Jobs whose creation time is not known yet (a wait that only has their ids) bound the paging
    by their number instead: their pages, plus as many again for other clients' jobs in between.
    ``start_offset`` skips the pages an earlier round found to hold only newer jobs: the listing
    is ordered by creation, so jobs created since then land before that cursor, never after it.
    """
    # Here, not at the top: the API module loads requests, which a provider's check never needs.
    from ..aep.export_jobs import next_page_offset

    wanted = {j.id for j in pending}
    known_times = [j.creation_time for j in pending if j.creation_time is not None]
    undated = len(pending) - len(known_times)
    oldest = min(known_times) if known_times else None
    page_budget = 2 * (-(-undated // LIST_PAGE_SIZE)) + 1 if undated else None
    seen: dict[int, ExportJob] = {}
    pages = 0
    offset = start_offset
    resume = start_offset
    for page in client.iter_export_job_pages(
        sandbox=sandbox, limit=LIST_PAGE_SIZE, offset=start_offset
    ):
        pages += 1
        found = {j.id: j for j in page.records if j.id in wanted}
        next_offset = next_page_offset(page)
        if not seen:
            resume = offset if found else (next_offset or resume)
        seen.update(found)
        offset = next_offset
        if len(seen) == len(wanted) or not page.records:
            break
        last = page.records[-1].creation_time
        older_than_dated = oldest is None or last is None or last < oldest
        undated_left = any(j.creation_time is None and j.id not in seen for j in pending)
        if older_than_dated and not (undated_left and page_budget and pages < page_budget):
            break
    if not seen:
        resume = start_offset
    return ListingRound(seen, pages, resume)


def _fetch_round(
    client: AepClient,
    pending: list[ExportJob],
    sandbox: str | None,
    pages_hint: int,
    listing: ListingState,
) -> tuple[dict[int, ExportJob], set[int], int, int]:
    """Fresh copies of ``pending`` jobs: listings for many jobs, GETs for the rest.

    Requests grow with the pages of relevant jobs, not with the number of jobs: a round lists
    when that takes fewer requests than a GET per pending job (``pages_hint``: the pages the
    last listing needed). Returns ``(fresh jobs by id, ids AEP no longer knows, HTTP requests
    made, listing pages read)``. ``listing`` carries where the listing may start between rounds.
    """
    fresh: dict[int, ExportJob] = {}
    requests_made = pages = 0
    if len(pending) >= max(LIST_POLL_THRESHOLD, pages_hint + 1):
        walk = _list_round(client, pending, sandbox, listing.resume_offset)
        fresh, pages = walk.seen, walk.pages
        requests_made = pages
        # A pending job the walk missed may sit before the cursor (a listing that is not ordered
        # as we assume): the next round starts from the newest job again.
        complete = len(fresh) == len(pending)
        listing.resume_offset = walk.resume_offset if complete else None
    unseen = [j.id for j in pending if j.id not in fresh]
    missing: set[int] = set()

    def get(job_id: int) -> ExportJob | None:
        try:
            return client.get_export_job(job_id, sandbox=sandbox)
        except AepNotFoundError:
            return None

    if len(unseen) == 1:
        results = [get(unseen[0])]
    elif unseen:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_GETS, len(unseen))) as pool:
            results = list(pool.map(get, unseen))
    else:
        results = []
    for job_id, job in zip(unseen, results, strict=True):
        requests_made += 1
        if job is None:
            missing.add(job_id)
        else:
            fresh[job_id] = job
    return fresh, missing, requests_made, pages


@dataclass
class _Loop:
    """What a wait carries from one round to the next."""

    started: float
    last_heartbeat: float
    outage_since: float
    slowdown: int = 0
    outage: int = 0
    pages_hint: int = 1
    round_started: float | None = None
    ending: bool = False  # the last round saw jobs end while others still run
    listing: ListingState = field(default_factory=ListingState)
    warned: set[str] = field(default_factory=set)

    def pause(self, now: float, deadline: float, schedule: PollSchedule) -> float:
        """Seconds to sleep before the next round. Polls are timed from the start of the last
        round: a round that pages through a long listing (hundreds of jobs) does not push
        every later poll back by its own duration."""
        base = self.round_started if self.round_started is not None else now
        waited = base - self.started
        due = base + schedule.interval(waited, self.slowdown + self.outage, ending=self.ending)
        return min(max(0.0, due - now), max(0.0, deadline - now))

    def skipped(self, exc: Exception, now: float, warn: ProgressFn) -> None:
        """A round that AEP's throttling or an outage cut short: poll less often."""
        if isinstance(exc, AepThrottledError):
            warn("AEP is throttling status checks; polling less often")
            self.slowdown += 1
            return
        # An outage (5xx, dropped connections, IMS down) is not the job's end: the export runs
        # on in AEP. Keep asking, less often, until the deadline.
        if not self.outage:
            self.outage_since = now
            warn(f"status checks fail ({exc}); the export is not affected, still waiting")
        self.outage += 1


def _record_round(
    outcome: WaitOutcome,
    pending: list[ExportJob],
    fresh: dict[int, ExportJob],
    missing: set[int],
    loop: _Loop,
    warn: ProgressFn,
    on_succeeded: Callable[[ExportJob], None] | None,
) -> dict[tuple[str, str], list[int]]:
    """Record what a round saw in ``outcome``; the status changes, by kind."""
    for job_id in missing:
        outcome.missing.add(job_id)
        warn(f"export job {job_id} is no longer known to AEP")
    changes: dict[tuple[str, str], list[int]] = {}
    for job in pending:
        new = fresh.get(job.id)
        if new is None:
            continue
        if new.status != job.status:
            changes.setdefault((job.status, new.status), []).append(job.id)
        if new.status not in KNOWN_STATUSES and new.status not in loop.warned:
            loop.warned.add(new.status)
            warn(f"export job {job.id} reports unknown status {new.status!r}; still waiting")
        outcome.jobs[job.id] = new
        if on_succeeded is not None and new.status == STATUS_SUCCEEDED:
            on_succeeded(new)
    return changes


def _heartbeat(
    outcome: WaitOutcome, loop: _Loop, now: float, every: float, progress: ProgressFn
) -> None:
    """While nothing changes, the elapsed time at most once per ``every`` seconds."""
    if now - loop.last_heartbeat < every:
        return
    waiting = [j for j in outcome.jobs.values() if not j.is_terminal]
    if waiting:
        ids = ", ".join(str(j.id) for j in waiting[:5]) + (" ..." if len(waiting) > 5 else "")
        progress(
            f"still waiting for {len(waiting)} export job(s) ({ids}) after "
            f"{_format_elapsed(now - loop.started)}"
        )
    loop.last_heartbeat = now


def poll_jobs(
    client: AepClient,
    jobs: Iterable[ExportJob],
    *,
    sandbox: str | None,
    timeout: float,
    schedule: PollSchedule,
    progress: ProgressFn,
    warn: ProgressFn,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    heartbeat_every: float = 60.0,
    on_succeeded: Callable[[ExportJob], None] | None = None,
) -> WaitOutcome:
    """Poll ``jobs`` until each is SUCCEEDED or FAILED, or ``timeout`` seconds pass (see the
    module's description); ``on_succeeded`` hears of each job as soon as it is seen SUCCEEDED.
    The loop knows only the client's job reads; the clock and the sleep are injected."""
    outcome = WaitOutcome(jobs={j.id: j for j in jobs})
    started = clock()
    loop = _Loop(started=started, last_heartbeat=started, outage_since=started)
    deadline = started + timeout
    while True:
        pending = [
            j for j in outcome.jobs.values() if not j.is_terminal and j.id not in outcome.missing
        ]
        if not pending:
            return outcome
        now = clock()
        if now >= deadline:
            outcome.timed_out = True
            return outcome
        sleep(loop.pause(now, deadline, schedule))
        loop.round_started = clock()
        try:
            fresh, missing, requests_made, pages = _fetch_round(
                client, pending, sandbox, loop.pages_hint, loop.listing
            )
        except (AepThrottledError, *TRANSIENT) as exc:
            loop.skipped(exc, clock(), warn)
            continue
        if loop.outage:
            elapsed = _format_elapsed(clock() - loop.outage_since)
            progress(f"status checks answer again after {elapsed}")
            loop.outage = 0
        outcome.polls += requests_made
        loop.ending = any(fresh[job.id].is_terminal for job in pending if job.id in fresh)
        loop.pages_hint = pages or loop.pages_hint
        changes = _record_round(outcome, pending, fresh, missing, loop, warn, on_succeeded)
        if changes:
            _report_changes(changes, _format_elapsed(clock() - started), progress)
            loop.last_heartbeat = clock()
        _heartbeat(outcome, loop, clock(), heartbeat_every, progress)


def wait_for_jobs(
    ctx: Context,
    jobs: Iterable[ExportJob],
    *,
    sandbox: str,
    timeout: float,
    on_succeeded: Callable[[ExportJob], None] | None = None,
) -> WaitOutcome:
    """:func:`poll_jobs` with what ``ctx`` holds: its client, the configured schedule, its log,
    clock and sleep (which a Cancel ends)."""
    return poll_jobs(
        ctx.client(),
        jobs,
        sandbox=sandbox,
        timeout=timeout,
        schedule=PollSchedule.from_settings(ctx.settings()),
        progress=ctx.log.info,
        warn=ctx.log.warn,
        clock=ctx.monotonic,
        sleep=ctx.sleep,
        on_succeeded=on_succeeded,
    )
