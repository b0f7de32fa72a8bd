"""AEP's clock, as its answers tell it: the ``Date`` header of every response, IMS included.

A machine's clock may run ahead of or behind AEP's (a resumed VM, WSL2). Anything compared
with an AEP timestamp (``creationTime`` of a job, in epoch ms) is converted with the offset the
last ``Date`` header gave. Until one has been seen the offset is unknown, and callers widen
their windows instead of trusting the local clock.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable

# `Date` has a one-second resolution: its true value lies in [header, header + 1 s).
DATE_RESOLUTION_MS = 1_000


class ServerClock:
    """The offset between AEP's clock and ours, from the ``Date`` of AEP's answers."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self._offset_ms: int | None = None

    @property
    def offset_ms(self) -> int | None:
        """AEP's clock minus ours, in ms (``None`` until an answer carried a ``Date``)."""
        with self._lock:
            return self._offset_ms

    def note(self, date_header: str | None, sent_wall: float, received_wall: float) -> None:
        """Record the offset an answer's ``Date`` header shows (sent/received: our wall times)."""
        if not date_header:
            return
        try:
            server = email.utils.parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            return
        midpoint = (sent_wall + received_wall) / 2
        with self._lock:
            self._offset_ms = int((server + DATE_RESOLUTION_MS / 2000 - midpoint) * 1000)

    def to_server_ms(self, local_wall: float) -> int:
        """A local wall-clock instant as AEP's epoch ms (unconverted while the offset is unknown)."""
        return int(local_wall * 1000) + (self.offset_ms or 0)

    def now_ms(self) -> int:
        """Our best estimate of AEP's clock now, in epoch ms."""
        return self.to_server_ms(self._wall())
