"""What one provider process shares across resources: configuration, the client, the clock, the
log sink and the registries.

The client (with credentials) is built on first use, never at configure time, so a preview
without secrets works and nothing secret is held before it is needed. Requests and pydantic are
not imported until then: ``check`` and ``diff`` (every ``pulumi preview``) do without them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..config import DEFAULT_SANDBOX, check_config
from ..errors import AepCancelled
from ..settings import AepSettings
from .registries import Batches, HeldJobs, IdSet, JobRegistry, OncePerKey

if TYPE_CHECKING:
    from ..aep.client import AepClient
    from ..aep.models import ExportJob


class LogSink(Protocol):
    """Where progress and warnings go (``pulumi.log`` in a dynamic provider; the engine's log
    service in the native plugin)."""

    def info(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...


class Context:
    """Settings, client, clock, log sink and registries of one provider process, and the flags
    of the front door that made it (given to the constructor, fixed for its life)."""

    def __init__(
        self,
        raw_config: Mapping[str, Any] | None = None,
        config_key_names: list[str] | None = None,
        *,
        log: LogSink,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        partial_state: bool = False,
        requests_at_once: int | None = None,
        announce_missing_credentials: bool = True,
    ) -> None:
        self.raw_config = dict(raw_config or {})
        # Every stack config key, so that a mistyped `aep:` key can be reported.
        self.config_key_names = list(config_key_names or [])
        self.log = log
        self.monotonic = monotonic
        self._sleep = sleep
        # Set when the engine asks for a stop: every wait wakes up and ends (see `sleep`).
        self.cancelled = threading.Event()
        # Whether the front door can record an object that an operation left half-way
        # (the native plugin can; the dynamic door cannot, so its creates stay transactional).
        self.partial_state = partial_state
        # Whether a check says once that `pulumi up` will need the missing credentials (the
        # test kit's mocks, which never call AEP, turn it off).
        self.announce_missing_credentials = announce_missing_credentials
        # AEP requests in flight at once across the process (None: as many as callers make;
        # the dynamic host's 4 threads bound it already).
        self.requests_at_once = requests_at_once
        self.jobs = JobRegistry()
        # Datasets this process created: no earlier, interrupted run can have used them.
        self.fresh_datasets = IdSet()
        # Jobs a state holds (seen by diff, read or create), with their batches.
        self.held = HeldJobs()
        # Each sandbox's jobs of the last day, listed once before its first submit.
        self.recent_jobs: OncePerKey[list[ExportJob]] = OncePerKey()
        # Claims and releases on one dataset, written and read back together.
        self.claim_writes: Batches[Any, str | None] = Batches()
        # Each dataset's claims as first read by this process (earlier runs' claims).
        self.claims_seen: OncePerKey[Any] = OncePerKey()
        # The Pulumi backend's digest claims carry (core/export_job/claims.py), and the keeper
        # that reads this process's claims again (core/export_job/claim_keeper.py); both made
        # on first use.
        self.backend: str | None = None
        self.keeper: Any = None
        # Datasets these credentials were seen to be allowed to tag.
        self.writable_datasets: OncePerKey[bool] = OncePerKey()
        self._client: AepClient | None = None
        self._client_lock = threading.Lock()
        self._said: set[str] = set()
        self._said_lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        """Pause, or raise :class:`AepCancelled` as soon as the engine asks for a stop."""
        if self.cancelled.is_set() or (self._sleep is time.sleep and self.cancelled.wait(seconds)):
            raise AepCancelled("the operation was cancelled")
        if self._sleep is not time.sleep:
            self._sleep(seconds)

    def warn_once(self, message: str) -> None:
        """A warning given once per process (a preview checks many resources)."""
        with self._said_lock:
            if message in self._said:
                return
            self._said.add(message)
        self.log.warn(message)

    def config_failures(self) -> list[tuple[str, str]]:
        """Malformed configuration values as check failures naming the key; unknown keys and
        missing credentials as one-time warnings (a preview without secrets still succeeds)."""
        report = check_config(self.raw_config, all_keys=self.config_key_names)
        for warning in report.warnings:
            self.warn_once(warning)
        if report.missing and self.announce_missing_credentials:
            self.warn_once(f"{report.missing}: `pulumi up` will need it (a preview does not)")
        return list(report.errors)

    def settings(self) -> AepSettings:
        """Resolved settings: config first, then ``AEP_*`` environment variables."""
        return AepSettings.load(self.raw_config)

    def client(self) -> AepClient:
        """The process-wide client, built on first use (thread-safe)."""
        client = self._client
        if client is None:
            with self._client_lock:
                client = self._client
                if client is None:
                    # Here, not at the top: requests and pydantic load only once AEP is called.
                    from ..aep.client import AepClient

                    client = self._client = AepClient(
                        self.settings(), requests_at_once=self.requests_at_once
                    )
        return client

    def default_sandbox(self) -> str:
        """The configured sandbox, read without requiring credentials (used by diff)."""
        configured = self.raw_config.get("aep:sandboxName") or os.environ.get("AEP_SANDBOX_NAME")
        return str(configured or DEFAULT_SANDBOX).strip()

    def effective_sandbox(self, inputs: Mapping[str, Any]) -> Any:
        """The resource's own ``sandbox_name`` or, when unset, the configured one."""
        value = inputs.get("sandbox_name")
        return value if value is not None else self.default_sandbox()
