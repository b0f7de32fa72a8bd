"""The sandbox's work done ahead of time: the same result whenever it is taken, done once."""

from __future__ import annotations

import threading
import time

import pytest

from aep_pulumi.sandbox.ahead import AheadOfTime


class Counted:
    """Work that counts its runs and can be held in progress until released."""

    def __init__(self, value: str, *, hold: bool = False) -> None:
        self.value = value
        self.runs = 0
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __call__(self) -> str:
        self.runs += 1
        self.started.set()
        self.release.wait(10)
        return self.value


def test_work_taken_before_it_is_due_is_done_then_and_never_again() -> None:
    ahead: AheadOfTime[str] = AheadOfTime("test")
    work = Counted("files")
    ahead.schedule("job", work, after=0.2)
    assert ahead.take("job", work) == "files"
    time.sleep(0.4)
    ahead.close()
    assert work.runs == 1


def test_work_done_ahead_is_taken_without_doing_it_again() -> None:
    ahead: AheadOfTime[str] = AheadOfTime("test")
    work = Counted("files")
    ahead.schedule("job", work, after=0)
    assert work.started.wait(5)
    time.sleep(0.05)
    assert ahead.take("job", work) == "files"
    ahead.close()
    assert work.runs == 1


def test_work_in_progress_is_waited_for() -> None:
    ahead: AheadOfTime[str] = AheadOfTime("test")
    work = Counted("files", hold=True)
    ahead.schedule("job", work, after=0)
    assert work.started.wait(5)
    threading.Timer(0.2, work.release.set).start()
    began = time.monotonic()
    assert ahead.take("job", work) == "files"
    assert time.monotonic() - began >= 0.15
    ahead.close()
    assert work.runs == 1


def test_work_is_done_in_order_of_its_due_time() -> None:
    ahead: AheadOfTime[str] = AheadOfTime("test")
    done: list[str] = []
    ahead.schedule("late", lambda: done.append("late") or "late", after=0.3)
    ahead.schedule("soon", lambda: done.append("soon") or "soon", after=0.05)
    deadline = time.monotonic() + 5
    while len(done) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    ahead.close()
    assert done == ["soon", "late"]


def test_discarded_work_is_not_done_and_done_work_is_handed_back_to_undo() -> None:
    ahead: AheadOfTime[str] = AheadOfTime("test")
    pending = Counted("never")
    ahead.schedule("pending", pending, after=0.2)
    assert ahead.discard("pending") is None
    finished = Counted("written")
    ahead.schedule("finished", finished, after=0)
    assert finished.started.wait(5)
    assert ahead.discard("finished") == "written"
    time.sleep(0.4)
    ahead.close()
    assert pending.runs == 0


def test_close_waits_for_the_work_in_progress_and_drops_the_rest() -> None:
    ahead: AheadOfTime[str] = AheadOfTime("test")
    running = Counted("running", hold=True)
    queued = Counted("queued")
    ahead.schedule("running", running, after=0)
    ahead.schedule("queued", queued, after=0.1)
    assert running.started.wait(5)
    threading.Timer(0.2, running.release.set).start()
    ahead.close()
    assert running.runs == 1 and running.release.is_set()
    time.sleep(0.2)
    assert queued.runs == 0
    # Taken after close, the dropped work is done by whoever takes it; a later schedule works.
    assert ahead.take("queued", queued) == "queued"
    again = Counted("again")
    ahead.schedule("again", again, after=0)
    assert again.started.wait(5)
    ahead.close()


def test_a_failure_reaches_whoever_takes_the_result() -> None:
    ahead: AheadOfTime[str] = AheadOfTime("test")

    def broken() -> str:
        raise OSError("disk full")

    ahead.schedule("job", broken, after=0)
    time.sleep(0.2)
    with pytest.raises(OSError, match="disk full"):
        ahead.take("job", broken)
    ahead.close()
