"""Work done ahead of time in one background thread, taken when it is needed.

AEP writes an export's files while its job runs, not in the request that happens to see the job
end. The sandbox did the latter: a status listing that crossed a hundred jobs just ended wrote a
hundred Parquet files inside one request, holding the store's lock, and every other client's
request waited for it. :class:`AheadOfTime` lets the store start such work at a chosen moment in
the background and take its result when the job ends: the finished result, the one in progress
(waited for), or, when the work has not started yet (or its thread is gone), the work done there
and then. The result is therefore the same whenever it is taken; only where the time goes changes.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class AheadOfTime(Generic[T]):
    """Runs scheduled work in one daemon thread at (or after) its due time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, Hashable]] = []
        self._work: dict[Hashable, tuple[Future[T], Callable[[], T]]] = {}
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        # Each thread serves one generation; close() ends it, a later schedule() starts the next.
        self._generation = 0

    def schedule(self, key: Hashable, work: Callable[[], T], *, after: float) -> None:
        """Do ``work`` in the background ``after`` seconds from now (once per ``key``)."""
        with self._lock:
            if key in self._work:
                return
            self._work[key] = (Future(), work)
            heapq.heappush(
                self._queue, (time.monotonic() + max(0.0, after), next(self._order), key)
            )
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._generation,), name=self.name, daemon=True
                )
                self._thread.start()
            self._lock.notify()

    def take(self, key: Hashable, work: Callable[[], T]) -> T:
        """``key``'s result: done ahead, waited for while in progress, or done now by ``work``."""
        with self._lock:
            entry = self._work.pop(key, None)
        if entry is None:
            return work()
        future, _ = entry
        if future.cancel():
            return work()
        return future.result()

    def discard(self, key: Hashable) -> T | None:
        """Forget ``key``'s work: not started, it never will; done, its result is returned so
        that the caller can undo it (in progress, it is waited for first)."""
        with self._lock:
            entry = self._work.pop(key, None)
        if entry is None or entry[0].cancel():
            return None
        try:
            return entry[0].result()
        except Exception:  # failed work left nothing to undo that we know of
            return None

    def close(self) -> None:
        """Stop the thread after the work in progress; work not started is dropped (``take``
        then does it itself)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._generation += 1
            for future, _ in self._work.values():
                future.cancel()
            self._work.clear()
            self._queue.clear()
            self._lock.notify()
        if thread is not None:
            thread.join()

    def _next(self, generation: int) -> tuple[Future[T], Callable[[], T]] | None:
        """The next due work, waiting for it; ``None`` once ``generation`` is closed."""
        with self._lock:
            while self._generation == generation:
                if self._queue and self._queue[0][0] <= time.monotonic():
                    _, _, key = heapq.heappop(self._queue)
                    entry = self._work.get(key)
                    if entry is not None and entry[0].set_running_or_notify_cancel():
                        return entry
                    continue
                timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                self._lock.wait(timeout)
            return None

    def _run(self, generation: int) -> None:
        while (entry := self._next(generation)) is not None:
            future, work = entry
            try:
                future.set_result(work())
            except BaseException as exc:  # whoever takes the result gets it
                future.set_exception(exc)
