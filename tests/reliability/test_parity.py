"""The reliability scenarios through both doors: the dynamic providers and the native plugin,
each through its own gRPC host against the same faulty sandbox, end the same way (outcome,
message, what is left in AEP, duplicates, orphans, leaks)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

import pytest

from aep_pulumi.testing import SandboxHandle, served_sandbox

from .conftest import (
    LISTING_LAG,
    Host,
    Scenario,
    reliability_host,
    reliability_native_host,
)

Setup = Callable[[Scenario], dict[str, Any]]


def fault(action: str, method: str, path: str, times: int = 1, **kwargs: Any) -> Setup:
    def inject(s: Scenario) -> dict[str, Any]:
        s.inject(action, method, path, times=times, **kwargs)
        return {}

    return inject


def job_props(**props: Any) -> Setup:
    return lambda s: props


def slow_jobs(s: Scenario) -> dict[str, Any]:
    s.sandbox.app.config.job_duration = 30
    return {"wait_timeout_seconds": 0.8}


SCENARIOS: dict[str, Setup] = {
    "no fault": job_props(),
    "429 on create": fault("throttle", "POST", "/export/jobs", retry_after_ms=200),
    "5xx burst on polls": fault("error", "GET", "/export/jobs/", times=3, status=503),
    "answer lost after processing": fault("drop_after", "POST", "/export/jobs"),
    "connection dropped before processing": fault("drop_before", "POST", "/export/jobs"),
    "latency beyond the timeout on create": fault(
        "latency", "POST", "/export/jobs", latency_ms=1300
    ),
    "malformed create answer": fault("malformed", "POST", "/export/jobs"),
    "expired token": fault("expire_token", "GET", "/export/jobs/"),
    "dataset answer lost": fault("drop_after", "POST", "/dataSets"),
    "job FAILED": job_props(fields=["_sandbox.fail"]),
    "job outlasts the wait": slow_jobs,
}


def run(host: Host, sandbox: SandboxHandle, setup: Setup) -> dict[str, Any]:
    sandbox.app.store.clear_spaces()
    sandbox.app.faults.clear()
    sandbox.app.config.job_duration = 0.4
    s = Scenario(host, sandbox)
    started = time.monotonic()
    props = setup(s)
    dataset_id = s.dataset()
    if dataset_id is not None:
        s.job(dataset_id, **props)
    ended = asdict(s.record("parity", "both doors", started, table=False))
    ended.pop("seconds")
    # Ids, request ids and times are AEP's own for each run.
    ended["outcome"] = re.sub(
        r"\b[0-9a-f]{16,32}\b|\b\d{3,}\b|\S+T\S+[+Z]\S*", "…", ended["outcome"]
    )
    return ended


@pytest.fixture(scope="module")
def second_sandbox() -> Iterator[SandboxHandle]:
    """The native door's own sandbox, so that both doors run each scenario at once."""
    with served_sandbox() as sandbox:
        sandbox.app.config.listing_lag = LISTING_LAG
        yield sandbox


def through_dynamic(sandbox: SandboxHandle, setup: Setup) -> dict[str, Any]:
    with reliability_host(sandbox) as dynamic:
        return run(dynamic, sandbox, setup)


def through_native(sandbox: SandboxHandle, setup: Setup) -> dict[str, Any]:
    with reliability_native_host(sandbox) as native:
        return run(native, sandbox, setup)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_both_doors_end_the_same_way(
    faulty_sandbox: SandboxHandle, second_sandbox: SandboxHandle, name: str
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        dynamic = pool.submit(through_dynamic, faulty_sandbox, SCENARIOS[name])
        native = pool.submit(through_native, second_sandbox, SCENARIOS[name])
        by_dynamic, by_native = dynamic.result(), native.result()
    assert by_native == by_dynamic
    assert (by_native["duplicates"], by_native["leaked_secrets"]) == (0, 0)
    assert by_native["orphans"] == by_native["orphans_named"]
