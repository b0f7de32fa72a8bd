"""What one provider process remembers across resources (held by its :class:`~.context.Context`).

All resources of one ``pulumi up`` share one provider process, so a job that a sibling created
in the same run is known here and is never adopted by another resource, and a dataset this run
created is known to hold no job an earlier run left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


class JobRegistry:
    """Export jobs this process submitted or adopted (no search ever takes one for another
    resource's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed: set[tuple[str, int]] = set()

    def claim(self, sandbox: str, job_id: int) -> None:
        with self._lock:
            self._claimed.add((sandbox, int(job_id)))

    def claimed(self, sandbox: str) -> set[int]:
        with self._lock:
            return {job_id for space, job_id in self._claimed if space == sandbox}

    def sandboxes_of(self, job_id: int) -> set[str]:
        """The sandboxes in which this process submitted or adopted a job with this id."""
        with self._lock:
            return {space for space, known in self._claimed if known == int(job_id)}


class HeldJobs:
    """Export jobs a state holds, as this process saw them (diff, read, create), with their
    batches: a job AEP forgot is judged by them, and no search ever takes one for a leftover."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches: dict[tuple[str, int], tuple[str, ...]] = {}

    def add(self, sandbox: str, job_id: int, batch_ids: Iterable[Any] = ()) -> None:
        known = tuple(b for b in batch_ids if isinstance(b, str) and b)
        with self._lock:
            self._batches[(sandbox, int(job_id))] = known or self._batches.get(
                (sandbox, int(job_id)), ()
            )

    def ids(self, sandbox: str) -> set[int]:
        with self._lock:
            return {job_id for space, job_id in self._batches if space == sandbox}

    def batches(self, sandbox: str, job_id: int) -> tuple[str, ...]:
        with self._lock:
            return self._batches.get((sandbox, int(job_id)), ())

    def sandboxes(self, job_id: int) -> set[str]:
        """The sandboxes in which a job with this id was seen."""
        with self._lock:
            return {space for space, known in self._batches if known == int(job_id)}


class IdSet:
    """A thread-safe set of ``(sandbox, id)`` pairs (e.g. the datasets this process created)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[tuple[str, str]] = set()

    def add(self, sandbox: str, object_id: str) -> None:
        with self._lock:
            self._ids.add((sandbox, object_id))

    def __contains__(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return key in self._ids


class OncePerKey(Generic[T]):
    """A value computed once per key for the life of the process (e.g. each sandbox's unfinished
    jobs, listed before its first submit)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, T] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]


class Batches(Generic[T, R]):
    """Work on one object from many threads, done in few round trips.

    Whoever finds no round of that object in flight runs every item queued so far, and again
    while more arrive; the others wait for the round that carried theirs and get their own
    result from it. So 500 creates claiming their jobs on one dataset send a few dozen PATCHes
    (and read-backs), not 500, and none waits longer than one round beyond its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[tuple[str, ...], list[tuple[T, _Shared[R]]]] = {}
        self._sending: set[tuple[str, ...]] = set()

    def send(self, key: tuple[str, ...], item: T, run: Callable[[list[T]], list[R]]) -> R:
        """``item`` done on ``key``'s object with whatever else is queued; its result."""
        mine: _Shared[R] = _Shared()
        with self._lock:
            self._queued.setdefault(key, []).append((item, mine))
            leading = key not in self._sending
            if leading:
                self._sending.add(key)
        while leading:
            with self._lock:
                batch = self._queued.pop(key, [])
                if not batch:
                    self._sending.discard(key)
                    break
            try:
                results = run([queued for queued, _ in batch])
            except BaseException as exc:
                with self._lock:
                    batch += self._queued.pop(key, [])
                    self._sending.discard(key)
                for _, shared in batch:
                    shared.fail(exc)
                raise
            for (_, shared), result in zip(batch, results, strict=True):
                shared.set(result)
        return mine.wait()


class _Shared(Generic[R]):
    """One item's result, for the caller whose item a round carried."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._result: R | None = None
        self._error: BaseException | None = None

    def set(self, result: R) -> None:
        self._result = result
        self._done.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def wait(self) -> R:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return cast(R, self._result)
