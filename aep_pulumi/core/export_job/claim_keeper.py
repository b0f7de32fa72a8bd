"""Claims read again a little after they were written and read back.

How Catalog applies two PATCHes of one dataset at once is not documented. If it reads the
record, patches it and writes it whole, a PATCH that read before ours and writes after our
read-back undoes our claim although we saw it there. Such a PATCH ends within its own round
trip, so a claim still there :data:`SETTLE` seconds after its read-back stays. The keeper reads
each dataset's claims once more after that pause (one GET per dataset, however many claims),
writes back any that vanished, and looks again after those. It works in one background thread;
a wait (:mod:`..export_wait`, a waiting create) asks it to finish first (:meth:`settle`), so a
stack's claims are checked before its `up` ends.
"""

from __future__ import annotations

import atexit
import threading
import time
from typing import TYPE_CHECKING

from ...errors import AepError
from ..context import Context
from .claims import ClaimedDataset, claim_job, claim_jobs, claim_tags_now, holds_claim

if TYPE_CHECKING:
    from collections.abc import Callable

# Seconds between a claim's read-back and the look that confirms it stayed.
SETTLE = 1.0
# Looks at one dataset before the keeper gives up on a claim that keeps vanishing.
MAX_LOOKS = 5
# How long a claim queued by a create that does not wait lingers for others to share its PATCH
# (the dynamic host's 4 threads submit about 30 jobs a second at 100 ms of latency).
LINGER = 1.0

Mine = dict[int, tuple[str, str]]


class ClaimKeeper:
    """This process's claims, per dataset, and when each dataset is next looked at."""

    def __init__(self, ctx: Context, clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.clock = clock
        self._cond = threading.Condition()
        self._mine: dict[ClaimedDataset, Mine] = {}
        # Claims of creates that did not wait, to be written (in one PATCH per dataset).
        self._queued: dict[ClaimedDataset, Mine] = {}
        self._due: dict[ClaimedDataset, tuple[float, int]] = {}
        self._busy = 0
        self._thread: threading.Thread | None = None

    def written(self, key: ClaimedDataset, job_id: int, owner: str, request: str) -> None:
        """A claim just read back: look at its dataset again after :data:`SETTLE` seconds."""
        with self._cond:
            self._mine.setdefault(key, {})[int(job_id)] = (owner, request)
            due, looks = self._due.get(key, (0.0, 0))
            self._due[key] = (max(due, self.clock() + SETTLE), looks)
            self._start()
            self._cond.notify_all()

    def queue(self, key: ClaimedDataset, job_id: int, owner: str, request: str) -> None:
        """A claim to write soon, with the others queued on the dataset by then (a create that
        does not wait holds its thread for its POST only; the state holds its job)."""
        with self._cond:
            self._queued.setdefault(key, {})[int(job_id)] = (owner, request)
            due, looks = self._due.get(key, (float("inf"), 0))
            self._due[key] = (min(due, self.clock() + LINGER), looks)
            self._start()
            self._cond.notify_all()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="claim-keeper", daemon=True)
            self._thread.start()

    def forget(self, key: ClaimedDataset, job_id: int) -> None:
        """A claim released on purpose is not written back."""
        with self._cond:
            self._mine.get(key, {}).pop(int(job_id), None)
            self._queued.get(key, {}).pop(int(job_id), None)

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until every queued claim is written and every dataset has been looked at
        again; whether that happened."""
        deadline = self.clock() + timeout
        with self._cond:
            while self._due or self._busy:
                left = deadline - self.clock()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    def _next(self) -> tuple[ClaimedDataset, int, Mine, Mine]:
        with self._cond:
            while True:
                now = self.clock()
                ready = [(due, key) for key, (due, _) in self._due.items() if due <= now]
                if ready:
                    key = min(ready)[1]
                    _, looks = self._due.pop(key)
                    self._busy += 1
                    queued = self._queued.pop(key, {})
                    return key, looks, dict(self._mine.get(key, {})), queued
                waits = [due - now for due, _ in self._due.values()]
                self._cond.wait(min(waits) if waits else None)

    def _run(self) -> None:
        while True:
            key, looks, mine, queued = self._next()
            try:
                lost = self._write(key, queued) if queued else self._look(key, mine)
            finally:
                with self._cond:
                    self._busy -= 1
                    if lost and looks + 1 < MAX_LOOKS and key not in self._due:
                        self._due[key] = (self.clock() + SETTLE, looks + 1)
                    self._cond.notify_all()

    def _write(self, key: ClaimedDataset, queued: Mine) -> bool:
        """Write the queued claims of one dataset (read back, then looked at again later);
        whether any must be tried again."""
        try:
            # Not read back at once: the keeper's look SETTLE seconds later is the read-back
            # (one GET per dataset instead of two; until it, the state holds the jobs).
            failed = claim_jobs(
                self.ctx,
                key,
                [(j, owner, request) for j, (owner, request) in queued.items()],
                read_back=False,
            )
        except AepError as exc:
            failed = str(exc)
        if failed is None:
            return False
        self.ctx.log.warn(
            f"claims of export job(s) {', '.join(map(str, sorted(queued)))} on dataset {key.dataset_id} "
            f"could not be written yet ({failed}); trying again (the stack's state holds them)"
        )
        with self._cond:
            for job_id, entry in queued.items():
                self._mine.setdefault(key, {})[job_id] = entry
        return True

    def _look(self, key: ClaimedDataset, mine: Mine) -> bool:
        """Read one dataset's claims and write back this process's vanished ones."""
        try:
            tags = claim_tags_now(self.ctx, key)
        except AepError as exc:
            self.ctx.log.warn(
                f"{exc}; the claims on dataset {key.dataset_id} are looked at again later"
            )
            return True
        lost = [
            j
            for j, (owner, request) in mine.items()
            if not holds_claim(self.ctx, tags, j, owner, request)
        ]
        for job_id in lost:
            owner, request = mine[job_id]
            self.ctx.log.warn(
                f"the claim of export job {job_id} on dataset {key.dataset_id} vanished after it was read "
                "back (another PATCH of the dataset undid it); writing it again"
            )
            try:
                claim_job(self.ctx, key, job_id, owner, request)
            except AepError as exc:
                self.ctx.log.warn(f"writing it again failed: {exc}")
        return bool(lost)


_LOCK = threading.Lock()


# How long a provider process that is ending gives its queued claims (the engine interrupts a
# plugin and kills it five seconds later).
AT_EXIT = 4.0


def keeper(ctx: Context) -> ClaimKeeper:
    """The context's keeper, made on first use. A process that ends (the engine interrupts its
    plugins once the `up` is over) first writes the claims still queued."""
    with _LOCK:
        if ctx.keeper is None:
            ctx.keeper = ClaimKeeper(ctx)
            atexit.register(ctx.keeper.settle, AT_EXIT)
        found: ClaimKeeper = ctx.keeper
        return found
