"""An event loop of its own for each run under the test kit's mocks: Pulumi's SDK runs a program
on the thread's loop and its mock monitor on executor threads, each of which it gives a loop when
it has none. A user's pytest then sees loops never closed and futures whose exception nobody
retrieved, reported later from whatever code a garbage collection interrupts. Here every loop
is made, settled and closed by the run, and the thread gets back what it had."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any


@contextmanager
def own_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A new loop set as the thread's for the block (executor threads with loops of their own),
    settled and closed after it; the thread's previous loop, if any, restored."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_settled_quietly)
    # Pulumi's mock monitor runs on the loop's executor threads and gives each an event loop of
    # its own when it has none: these threads get theirs from here, and they are closed too.
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_the_thread_a_loop() -> None:
        own = asyncio.new_event_loop()
        asyncio.set_event_loop(own)
        thread_loops.append(own)

    loop.set_default_executor(
        ThreadPoolExecutor(thread_name_prefix="aep-kit", initializer=give_the_thread_a_loop)
    )
    previous = _current_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        _close(loop, thread_loops)
        _restore_loop(previous)


def _current_loop() -> asyncio.AbstractEventLoop | None:
    """The thread's event loop, if it has one. Read from the policy's own slot: every public
    call either makes a loop when there is none (one never closed) or warns that it will."""
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    loop = getattr(local, "_loop", None)
    return loop if isinstance(loop, asyncio.AbstractEventLoop) else None


def _restore_loop(previous: asyncio.AbstractEventLoop | None) -> None:
    """Give the thread back the loop it had; a thread that had none is left as if it never had
    one (``set_event_loop(None)`` would forbid the main thread from ever making one again)."""
    if previous is not None:
        asyncio.set_event_loop(previous)
        return
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    if local is not None and hasattr(local, "_set_called"):
        local._loop = None
        local._set_called = False
    else:
        asyncio.set_event_loop(None)


def _settled_quietly(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed run's futures: their exception is the run's own, already raised to the caller;
    reporting each again (with a traceback, from whatever code a garbage collection interrupts)
    would only be noise. Anything else goes to asyncio's default handler."""
    if "exception" in context and "never retrieved" in str(context.get("message", "")):
        return
    loop.default_exception_handler(context)


def _close(loop: asyncio.AbstractEventLoop, thread_loops: list[asyncio.AbstractEventLoop]) -> None:
    """Settle every task the run left (their exceptions retrieved), stop the executor's
    threads, and close the loop and the threads' loops."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    for own in thread_loops:
        own.close()
