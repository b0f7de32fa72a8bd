"""What one provider process remembers across resources (held by its :class:`~.context.Context`).

All resources of one ``pulumi up`` share one provider process, so a job that a sibling created
in the same run is known here and is never adopted by another resource, and a dataset this run
created is known to hold no job an earlier run left.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class JobRegistry:
    """Export jobs this process submitted or adopted, and POSTs still in flight per dataset.

    A lost create waits until the other creates to the same dataset have their answers before it
    looks (their jobs would otherwise look like candidates).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._claimed: set[tuple[str, int]] = set()
        self._in_flight: dict[tuple[str, str], int] = {}

    def claim(self, sandbox: str, job_id: int) -> None:
        with self._cond:
            self._claimed.add((sandbox, int(job_id)))

    def claimed(self, sandbox: str) -> set[int]:
        with self._cond:
            return {job_id for space, job_id in self._claimed if space == sandbox}

    def sandboxes_of(self, job_id: int) -> set[str]:
        """The sandboxes in which this process submitted or adopted a job with this id."""
        with self._cond:
            return {space for space, known in self._claimed if known == int(job_id)}

    @contextlib.contextmanager
    def submitting(self, sandbox: str, dataset_id: str) -> Iterator[None]:
        key = (sandbox, dataset_id)
        with self._cond:
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight[key] -= 1
                self._cond.notify_all()

    def wait_for_other_submits(self, sandbox: str, dataset_id: str, timeout: float) -> bool:
        """Wait until no other submit to the dataset is in flight (this thread's has ended)."""
        key = (sandbox, dataset_id)
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight.get(key, 0) <= 0, timeout)


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


class PatchBatches:
    """JSON Patch operations on one object from many threads, sent as few PATCHes.

    Whoever finds no PATCH of that object in flight sends every operation queued so far, and
    again while more arrive; the others wait for the PATCH that carried theirs and share its
    outcome. So 500 creates claiming their jobs on one dataset send a few dozen PATCHes, not
    500, and none waits longer than one PATCH beyond its own. Only operations that cannot fail
    one another go through here (adds of distinct tags, the add+remove idiom).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[tuple[str, ...], list[tuple[list[dict[str, Any]], _Shared]]] = {}
        self._sending: set[tuple[str, ...]] = set()

    def send(
        self,
        key: tuple[str, ...],
        operations: list[dict[str, Any]],
        patch: Callable[[list[dict[str, Any]]], bool],
    ) -> bool:
        """``operations`` applied on ``key``'s object, with whatever else is queued; whether
        the PATCH that carried them succeeded."""
        mine = _Shared()
        with self._lock:
            self._queued.setdefault(key, []).append((operations, mine))
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
                ok = patch([op for ops, _ in batch for op in ops])
            except BaseException:
                ok = False
                raise
            finally:
                for _, shared in batch:
                    shared.set(ok)
        return mine.wait()


class _Shared:
    """One PATCH's outcome, for each caller whose operations it carried."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._ok = False

    def set(self, ok: bool) -> None:
        self._ok = ok
        self._done.set()

    def wait(self) -> bool:
        self._done.wait()
        return self._ok
