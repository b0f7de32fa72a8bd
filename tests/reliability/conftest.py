"""Reliability suite: providers through Pulumi's provider host against a faulty sandbox.

Every scenario records its outcome, what exists in the sandbox afterwards, duplicates, orphans,
leaked secrets and time. At the end of the session the results are written to
``build/reliability.json`` and rendered as docs/reliability.md's table by ``scripts/reliability_table.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from aep_pulumi.sandbox import ScriptedFault
from aep_pulumi.testing import (
    TEST_CLIENT_SECRET,
    NativeHost,
    SandboxHandle,
    native_host_for,
    provider_host_for,
    served_sandbox,
)
from aep_pulumi.testing.provider_host import ProviderHost

# Either door's gRPC host: the dynamic providers' `python -m pulumi.dynamic`, or the plugin.
Host = ProviderHost | NativeHost

ROOT = Path(__file__).resolve().parents[2]
# The listing shows a new job this long after it was created (GET by id knows it at once).
LISTING_LAG = 1.0
# How long a lost answer is searched for in these scenarios (AEP_LOST_ANSWER_SEARCH_SECONDS).
SEARCH_SECONDS = "5"
RESULTS: list[dict[str, Any]] = []
# Each scenario is a `pulumi up` of its own process: a 1 s HTTP timeout, a 5 s lost-answer search.
SCENARIO_SETTINGS = {
    "AEP_HTTP_TIMEOUT_SECONDS": "1",
    "AEP_LOST_ANSWER_SEARCH_SECONDS": SEARCH_SECONDS,
}


@dataclass
class Result:
    fault: str
    where: str
    outcome: str
    datasets_after: int
    jobs_after: int
    duplicates: int
    orphans: int
    # Orphans whose id the error or a warning names (so the user can cancel them).
    orphans_named: int
    # Jobs that two resources both claim as theirs.
    wrong_adoptions: int
    leaked_secrets: int
    seconds: float
    # Running exports cancelled (by design only when a wait's own deadline passes).
    cancelled_running: int = 0
    # Exports that had SUCCEEDED when something other than a destroy deleted them.
    finished_deleted: int = 0


@pytest.fixture(scope="module")
def faulty_sandbox() -> Iterator[SandboxHandle]:
    with served_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def host(faulty_sandbox: SandboxHandle) -> Iterator[ProviderHost]:
    # A 1 s HTTP timeout, so that injected latency can outlast it quickly, and a lost answer
    # searched for 5 s: the sandbox's listing lags 1 s and POSTs are processed at most 1.5 s late.
    with reliability_host(faulty_sandbox) as provider_host:
        yield provider_host


@pytest.fixture(autouse=True)
def _clean(faulty_sandbox: SandboxHandle) -> None:
    faulty_sandbox.app.store.clear_spaces()
    faulty_sandbox.app.faults.clear()
    faulty_sandbox.app.config.job_duration = 0.4
    faulty_sandbox.app.config.echo_request = False
    faulty_sandbox.app.config.echo_request_id = False
    faulty_sandbox.app.config.patch_read_modify_write = False
    faulty_sandbox.app.config.foreign_twins = False
    faulty_sandbox.app.config.listing_lag = LISTING_LAG
    faulty_sandbox.app.config.clock_offset = 0.0


@contextmanager
def reliability_host(sandbox: SandboxHandle, **env: str) -> Iterator[ProviderHost]:
    """A provider host as the scenarios run it (a 1 s HTTP timeout, a 5 s lost-answer search):
    each one is a `pulumi up` of its own process."""
    with provider_host_for(sandbox, **{**SCENARIO_SETTINGS, **env}) as provider_host:
        yield provider_host


@contextmanager
def reliability_native_host(sandbox: SandboxHandle, **env: str) -> Iterator[NativeHost]:
    """The native plugin with the settings of :func:`reliability_host`."""
    with native_host_for(sandbox, **{**SCENARIO_SETTINGS, **env}) as native_host:
        yield native_host


class Scenario:
    """Runs one fault scenario and records what it left behind."""

    def __init__(self, host: Host, sandbox: SandboxHandle) -> None:
        self.host = host
        self.sandbox = sandbox
        self.kept: set[str] = set()
        # Objects that other clients made on purpose in a scenario: neither ours nor orphans.
        self.foreign: set[str] = set()
        self.errors: list[str] = []
        self.outputs: list[dict[str, Any]] = []
        # Jobs a scenario destroyed on purpose (their deletes are not "finished exports deleted").
        self.destroyed: set[str] = set()

    def inject(
        self, action: str, method: str, path_contains: str, times: int = 1, **kwargs: Any
    ) -> None:
        self.sandbox.app.faults.add(
            ScriptedFault(action, method=method, path_contains=path_contains, times=times, **kwargs)
        )

    def dataset(self, name: str = "target") -> str | None:
        inputs, failures = self.host.check("dataset", name, {"name": f"reliability {name}"})
        assert failures == []
        return self._create("dataset", name, inputs)

    def job(
        self,
        dataset_id: str,
        name: str = "export",
        *,
        host: Host | None = None,
        **props: Any,
    ) -> dict[str, Any] | None:
        host = host or self.host
        props.setdefault("owner", f"org/aep-test/test/{name}")
        inputs, failures = host.check(
            "job", name, {"dataset_id": dataset_id, "fields": ["identities.id"], **props}
        )
        assert failures == []
        created = self._create("job", name, inputs, host)
        return self.outputs[-1] if created else None

    def _create(
        self, kind: str, name: str, inputs: dict[str, Any], host: Host | None = None
    ) -> str | None:
        try:
            created = (host or self.host).create(kind, name, inputs)
        except grpc.RpcError as exc:
            self.errors.append(exc.details() or "")
            return None
        self.kept.add(created.id)
        self.outputs.append(created.outs)
        return created.id

    def live(self) -> tuple[set[str], set[str]]:
        state = self.sandbox.state()
        return set(state["datasets"]), set(state["jobs"])

    def leaked(self) -> int:
        secrets = [TEST_CLIENT_SECRET, *self.sandbox.app.store.tokens]
        haystacks = [
            self.host.log_text(),
            json.dumps(self.outputs),
            "\n".join(self.errors),
            json.dumps(self.sandbox.app.request_log),
        ]
        return sum(1 for s in secrets for h in haystacks if s and s in h)

    def record(
        self, fault: str, where: str, started: float, log: str | None = None, *, table: bool = True
    ) -> Result:
        """What the scenario left; ``table``: a row of docs/reliability.md's table."""
        datasets, jobs = self.live()
        extra = (datasets | jobs) - self.kept - self.foreign
        succeeded = not self.errors
        # Where an orphan may be named: the error, and the warnings a scenario passes in.
        said = "\n".join(self.errors) + "\n" + (log or "")
        owners = [str(int(o["job_id"])) for o in self.outputs if o.get("job_id") is not None]
        outcome = "success" if succeeded else "clear error: " + _first_line(self.errors[-1])
        result = Result(
            fault=fault,
            where=where,
            outcome=outcome,
            datasets_after=len(datasets),
            jobs_after=len(jobs),
            duplicates=len(extra - _named(extra, said)) if succeeded else 0,
            orphans=len(extra) if not succeeded else len(_named(extra, said)),
            orphans_named=len(_named(extra, said)),
            wrong_adoptions=len(owners) - len(set(owners)),
            leaked_secrets=self.leaked(),
            seconds=round(time.monotonic() - started, 2),
            cancelled_running=len(self.sandbox.app.store.cancelled_running),
            finished_deleted=len(
                {str(j) for j in self.sandbox.app.store.deleted_finished} - self.destroyed
            ),
        )
        if table:
            RESULTS.append(asdict(result))
        return result


def _named(ids: set[str], text: str) -> set[str]:
    return {i for i in ids if f"job {i}" in text or f"job(s) {i}" in text or f"{i} (" in text}


def _first_line(details: str) -> str:
    """The error line a user sees (the last line of the short trace)."""
    lines = [line for line in details.strip().splitlines() if line.strip()]
    text = lines[-1] if lines else details
    return text.split(": ", 1)[1] if text.startswith("aep_pulumi.") and ": " in text else text


@pytest.fixture
def scenario(host: ProviderHost, faulty_sandbox: SandboxHandle) -> Callable[[], Scenario]:
    return lambda: Scenario(host, faulty_sandbox)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not RESULTS:
        return
    here = Path(__file__).parent
    ran = {Path(str(item.fspath)).name for item in session.items}
    every = {p.name for p in here.glob("test_*.py")}
    deselected = bool(session.config.getoption("keyword") or session.config.getoption("markexpr"))
    out = ROOT / "build"
    out.mkdir(exist_ok=True)
    results = {
        # Only a whole run of the tier, passed, may become the documented table.
        "complete": every <= ran and not deselected and exitstatus == 0,
        "rows": RESULTS,
    }
    (out / "reliability.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
