"""Fault injection for the sandbox: random rates, and one-shot scripted faults for tests.

A scripted fault fires once, on the first request that matches its method and path substring,
which makes reliability tests deterministic. Rates apply to every AEP path (never to the
``/_sandbox`` admin endpoints).
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

# truncate: send half of a download's body, then close the connection (a drop mid-file).
ACTIONS = (
    "throttle",
    "error",
    "latency",
    "drop_before",
    "drop_after",
    "malformed",
    "expire_token",
    "truncate",
)


@dataclass
class ScriptedFault:
    """One fault to inject into the next matching request."""

    action: str
    method: str | None = None
    path_contains: str | None = None
    status: int = 503
    retry_after_ms: int | None = 200
    retry_after_header: float | None = None
    latency_ms: int = 0
    times: int = 1
    # When set: every matching request gets the fault for this many seconds from when the
    # fault was added (an outage), whatever ``times`` says.
    seconds: float | None = None
    # Matching requests let through before the fault starts (e.g. a claim PATCH after a probe).
    skip: int = 0
    added_at: float = field(default_factory=time.monotonic)

    def expired(self) -> bool:
        return self.seconds is not None and time.monotonic() - self.added_at > self.seconds

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.path_contains and self.path_contains not in path)


@dataclass
class FaultRates:
    """Probabilities (0..1) applied to every AEP request."""

    throttle: float = 0.0
    error: float = 0.0
    drop_before: float = 0.0
    drop_after: float = 0.0
    latency_ms: int = 0
    # Each request's latency varies by up to this much either way (uniformly).
    latency_jitter_ms: int = 0
    retry_after_ms: int = 200
    throttle_header: bool = False
    error_statuses: tuple[int, ...] = (500, 502, 503)


@dataclass
class FaultPlan:
    """Everything the sandbox should do wrong, and a seeded RNG to decide when."""

    rates: FaultRates = field(default_factory=FaultRates)
    script: list[ScriptedFault] = field(default_factory=list)
    seed: int = 7

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def add(self, fault: ScriptedFault) -> None:
        if fault.action not in ACTIONS:
            raise ValueError(
                f"unknown fault action {fault.action!r}; expected one of {', '.join(ACTIONS)}"
            )
        with self._lock:
            self.script.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.script.clear()
            self.rates = FaultRates()

    def pick(self, method: str, path: str) -> ScriptedFault | None:
        """The fault to apply to this request, if any (scripted faults first)."""
        with self._lock:
            for fault in [f for f in self.script if f.expired()]:
                self.script.remove(fault)
            for fault in self.script:
                if fault.matches(method, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        if fault.seconds is not None:
                            fault.added_at = time.monotonic()
                        continue
                    if fault.seconds is None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.script.remove(fault)
                    return fault
            r = self.rates
            roll = self._rng.random
            if r.throttle and roll() < r.throttle:
                return ScriptedFault(
                    "throttle",
                    retry_after_ms=r.retry_after_ms,
                    retry_after_header=r.retry_after_ms / 1000 if r.throttle_header else None,
                )
            if r.error and roll() < r.error:
                return ScriptedFault("error", status=self._rng.choice(r.error_statuses))
            if r.drop_before and roll() < r.drop_before:
                return ScriptedFault("drop_before")
            if r.drop_after and roll() < r.drop_after:
                return ScriptedFault("drop_after")
            if r.latency_ms:
                jitter = self._rng.uniform(-r.latency_jitter_ms, r.latency_jitter_ms)
                return ScriptedFault("latency", latency_ms=max(0, int(r.latency_ms + jitter)))
            return None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"rates": asdict(self.rates), "script": [asdict(f) for f in self.script]}


def parse_fault(spec: str) -> ScriptedFault:
    """``ACTION:METHOD:PATH[:STATUS][@SECONDS|xTIMES]`` (the ``--fault`` option) as a fault.

    ``@30`` keeps it for 30 seconds from the start, ``x3`` for three matching requests (the
    default is one)."""
    match = re.fullmatch(r"(?P<body>.*?)(?:@(?P<seconds>[0-9.]+)|x(?P<times>[0-9]+))?", spec)
    assert match is not None  # the pattern matches any text
    parts = match["body"].split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and not parts[3].isdigit()):
        raise ValueError(f"--fault {spec!r}: expected ACTION:METHOD:PATH[:STATUS][@SECONDS|xTIMES]")
    action, method, path = parts[:3]
    status = int(parts[3]) if len(parts) == 4 else 503
    seconds = float(match["seconds"]) if match["seconds"] else None
    times = int(match["times"]) if match["times"] else 1
    if action not in ACTIONS:
        raise ValueError(f"--fault {spec!r}: unknown action; expected one of {', '.join(ACTIONS)}")
    return ScriptedFault(
        action,
        method=method or None,
        path_contains=path or None,
        status=status,
        times=times,
        seconds=seconds,
    )
