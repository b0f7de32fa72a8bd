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

from .client import AepClient
from .errors import AepNotFoundError
from .models import KNOWN_STATUSES, ExportJob

ProgressFn = Callable[[str], None]


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
        return [j for j in self.jobs.values() if j.status == "FAILED"]

    @property
    def pending(self) -> list[ExportJob]:
        return [j for j in self.jobs.values() if not j.is_terminal]


def _format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


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
) -> WaitOutcome:
    """Poll ``jobs`` until each is SUCCEEDED or FAILED, or ``timeout`` seconds pass.

    Reports every status change through ``progress`` and, while nothing changes, the elapsed
    time at most once per ``heartbeat_every`` seconds. Unknown statuses are reported once
    through ``warn`` and treated as still running. A job that AEP stops returning (404) is
    recorded in ``missing``.
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
        sleep(min(schedule.interval(poll_number), max(0.0, deadline - now)))
        poll_number += 1
        for job in pending:
            try:
                fresh = client.get_export_job(job.id, sandbox=sandbox)
            except AepNotFoundError:
                outcome.missing.add(job.id)
                warn(f"export job {job.id} is no longer known to AEP")
                continue
            outcome.polls += 1
            if fresh.status != job.status:
                progress(
                    f"export job {job.id}: {job.status} -> {fresh.status} "
                    f"after {_format_elapsed(clock() - started)}"
                )
                last_heartbeat = clock()
            if fresh.status not in KNOWN_STATUSES and fresh.status not in warned:
                warned.add(fresh.status)
                warn(f"export job {job.id} reports unknown status {fresh.status!r}; still waiting")
            outcome.jobs[job.id] = fresh
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
