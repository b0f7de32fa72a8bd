"""Polling export jobs to a terminal state: a deadline, capped exponential backoff with jitter.

One :func:`wait_for_jobs` call polls any number of jobs with a single loop, so a stack with many
exports does not need a thread per job.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import AepNotFoundError, AepThrottledError
from .status import KNOWN_STATUSES, STATUS_FAILED

if TYPE_CHECKING:
    from .client import AepClient
    from .models import ExportJob

ProgressFn = Callable[[str], None]
# From this many jobs up, one listing per round replaces a GET per job.
LIST_POLL_THRESHOLD = 2


@dataclass(frozen=True)
class PollSchedule:
    """Intervals between polls: ``initial``, doubling up to ``maximum``, each with jitter."""

    initial: float = 5.0
    maximum: float = 60.0
    jitter: float = 0.1

    def interval(self, poll_number: int) -> float:
        """Seconds to wait after poll number ``poll_number`` (0-based)."""
        base = min(self.maximum, self.initial * (2 ** min(poll_number, 32)))
        return float(base * (1 + random.uniform(-self.jitter, self.jitter)))

    def max_polls(self, duration: float) -> int:
        """An upper bound of the polls needed to notice a job that takes ``duration`` seconds."""
        ramp = (
            math.ceil(math.log2(max(self.maximum, self.initial) / self.initial)) if duration else 0
        )
        return ramp + math.ceil(duration / self.maximum) + 2


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


def _fetch_round(
    client: AepClient, pending: list[ExportJob], sandbox: str | None
) -> tuple[dict[int, ExportJob], set[int], int]:
    """Fresh copies of ``pending`` jobs: one listing for many jobs, single GETs for the rest.

    Returns ``(fresh jobs by id, ids AEP no longer knows, HTTP requests made)``.
    """
    fresh: dict[int, ExportJob] = {}
    missing: set[int] = set()
    requests_made = 0
    wanted = {j.id for j in pending}
    if len(pending) >= LIST_POLL_THRESHOLD:
        # The newest jobs come first, so ours are normally all on the first page.
        page = client.list_export_jobs_page(
            sandbox=sandbox, limit=min(100, max(20, 2 * len(pending)))
        )
        requests_made += 1
        fresh.update({j.id: j for j in page.records if j.id in wanted})
    for job in pending:
        if job.id in fresh:
            continue
        requests_made += 1
        try:
            fresh[job.id] = client.get_export_job(job.id, sandbox=sandbox)
        except AepNotFoundError:
            missing.add(job.id)
    return fresh, missing, requests_made


def wait_for_jobs(
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
    poll_first: bool = False,
) -> WaitOutcome:
    """Poll ``jobs`` until each is SUCCEEDED or FAILED, or ``timeout`` seconds pass.

    One loop serves every job: each round lists the newest jobs once (from
    ``LIST_POLL_THRESHOLD`` jobs up) and GETs only those not on that page. Reports every status
    change through ``progress`` and, while nothing changes, the elapsed time at most once per
    ``heartbeat_every`` seconds. Unknown statuses are reported once through ``warn`` and treated
    as still running. A job that AEP stops returning (404) is recorded in ``missing``. When AEP
    keeps throttling (429 after the client's own retries) the round is skipped and the interval
    grows. ``poll_first`` polls at once instead of waiting one interval first.
    """
    outcome = WaitOutcome(jobs={j.id: j for j in jobs})
    started = clock()
    deadline = started + timeout
    last_heartbeat = started
    warned: set[str] = set()
    poll_number = 0
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
        if poll_number or not poll_first:
            sleep(min(schedule.interval(poll_number), max(0.0, deadline - now)))
        poll_number += 1
        try:
            fresh, missing, requests_made = _fetch_round(client, pending, sandbox)
        except AepThrottledError:
            warn("AEP is throttling status checks; polling less often")
            poll_number += 1
            continue
        outcome.polls += requests_made
        for job_id in missing:
            outcome.missing.add(job_id)
            warn(f"export job {job_id} is no longer known to AEP")
        for job in pending:
            new = fresh.get(job.id)
            if new is None:
                continue
            if new.status != job.status:
                progress(
                    f"export job {job.id}: {job.status} -> {new.status} "
                    f"after {_format_elapsed(clock() - started)}"
                )
                last_heartbeat = clock()
            if new.status not in KNOWN_STATUSES and new.status not in warned:
                warned.add(new.status)
                warn(f"export job {job.id} reports unknown status {new.status!r}; still waiting")
            outcome.jobs[job.id] = new
        now = clock()
        if now - last_heartbeat >= heartbeat_every:
            waiting = [j for j in outcome.jobs.values() if not j.is_terminal]
            if waiting:
                ids = ", ".join(str(j.id) for j in waiting[:5]) + (
                    " ..." if len(waiting) > 5 else ""
                )
                progress(
                    f"still waiting for {len(waiting)} export job(s) ({ids}) after "
                    f"{_format_elapsed(now - started)}"
                )
            last_heartbeat = now
