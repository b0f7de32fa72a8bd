"""For every injected fault: a success or a clear error, 0 duplicates, 0 orphans, 0 leaked secrets."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from .conftest import Result, Scenario, reliability_host

Make = Callable[[], Scenario]


# A lost answer the search could not resolve: the error says so, and never that nothing was made.
UNRESOLVED = "may still appear"


def ok(result: Result, *, cancelled: int = 0) -> None:
    assert result.outcome == "success", result
    assert result.finished_deleted == 0, result
    assert (result.duplicates, result.orphans, result.leaked_secrets) == (0, 0, 0), result
    assert result.wrong_adoptions == 0, result
    assert result.cancelled_running == cancelled, result


def clean_error(result: Result, contains: str, *, cancelled: int = 0) -> None:
    assert result.outcome.startswith("clear error"), result
    assert result.finished_deleted == 0, result
    assert contains in result.outcome, result.outcome
    assert "nothing was created" not in result.outcome, result.outcome
    assert (result.duplicates, result.leaked_secrets, result.wrong_adoptions) == (0, 0, 0), result
    # An orphan is acceptable only when the message names it (so the user can cancel it).
    assert result.orphans == result.orphans_named, result
    assert result.cancelled_running == cancelled, result


def next_up_exports_once(s: Scenario, dataset_id: str) -> None:
    """The next `pulumi up` (a new provider process) after an unresolved lost answer: the
    window has closed with no job, so AEP did not process it; the export is submitted, once."""
    with reliability_host(s.sandbox) as next_up:
        s.host = next_up
        s.errors.clear()
        assert s.job(dataset_id) is not None, s.errors
    assert len(s.live()[1]) == 1


def run_export(s: Scenario, **job_props: object) -> None:
    dataset_id = s.dataset()
    if dataset_id is not None:
        s.job(dataset_id, **job_props)


@pytest.mark.parametrize(
    ("fault", "kwargs"),
    [
        ("429 with retryAfterMs", {"retry_after_ms": 300, "retry_after_header": None}),
        ("429 with Retry-After", {"retry_after_ms": None, "retry_after_header": 0.3}),
    ],
)
def test_throttling_on_create_and_poll(
    scenario: Make, fault: str, kwargs: dict[str, object]
) -> None:
    s, started = scenario(), time.monotonic()
    s.inject("throttle", "POST", "/dataSets", **kwargs)
    s.inject("throttle", "POST", "/export/jobs", **kwargs)
    s.inject("throttle", "GET", "/export/jobs/", times=2, **kwargs)
    run_export(s)
    result = s.record(fault, "every create and two polls", started)
    ok(result)
    assert result.datasets_after == 1 and result.jobs_after == 1
    assert result.seconds >= 0.6, "the server's delay was honoured"


def test_burst_of_5xx_on_polls(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    for status in (500, 502, 503):
        s.inject("error", "GET", "/export/jobs/", status=status)
    run_export(s)
    ok(s.record("500, 502, 503 in a row", "job polls", started))


def test_one_5xx_on_create_is_searched_for_and_never_submitted_again(scenario: Make) -> None:
    """A 5xx after the body went out may have been processed: the create looks until the window
    closes, fails saying what to check, and the next `up` exports once."""
    s, started = scenario(), time.monotonic()
    s.inject("error", "POST", "/export/jobs", status=503)
    run_export(s)
    result = s.record("503 on create (not processed)", "POST /export/jobs", started)
    clean_error(result, UNRESOLVED)
    assert result.jobs_after == 0
    next_up_exports_once(s, s.outputs[0]["dataset_id"])


def test_persistent_5xx_on_create_is_a_clear_error(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    s.inject("error", "POST", "/export/jobs", status=502, times=5)
    run_export(s)
    result = s.record("502 on every create", "POST /export/jobs", started)
    clean_error(result, UNRESOLVED)
    assert result.jobs_after == 0


def test_latency_beyond_the_client_timeout_on_polls(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    s.inject("latency", "GET", "/export/jobs/", latency_ms=1300)
    run_export(s)
    ok(s.record("latency 1.3 s > 1 s timeout", "a job poll", started))


# A processed create whose answer was lost is adopted only on proof: its record carries the
# request id the create sent (AEP does not document that it does; the sandbox can do either).
PROOF = pytest.mark.parametrize("proof", [True, False], ids=["request id echoed", "no request id"])


def lost_but_processed(result: Result, proof: bool) -> None:
    """With proof: adopted. Without: named, not adopted, not submitted again."""
    if proof:
        ok(result)
    else:
        clean_error(result, "None was adopted")
        assert result.orphans_named == 1
    assert result.jobs_after == 1


def proof_label(proof: bool) -> str:
    return " (request id echoed)" if proof else ""


@PROOF
def test_latency_beyond_the_client_timeout_on_create(scenario: Make, proof: bool) -> None:
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.echo_request_id = proof
    s.inject("latency", "POST", "/export/jobs", latency_ms=1300)
    run_export(s)
    result = s.record(
        "latency 1.3 s > 1 s timeout" + proof_label(proof),
        "POST /export/jobs (processed late)",
        started,
    )
    lost_but_processed(result, proof)


@pytest.mark.parametrize(
    ("action", "path", "label", "proof"),
    [
        ("drop_before", "/dataSets", "POST /dataSets", False),
        ("drop_after", "/dataSets", "POST /dataSets", False),
        ("drop_before", "/export/jobs", "POST /export/jobs", False),
        ("drop_after", "/export/jobs", "POST /export/jobs", True),
        ("drop_after", "/export/jobs", "POST /export/jobs", False),
    ],
)
def test_dropped_connections_on_create(
    scenario: Make, action: str, path: str, label: str, proof: bool
) -> None:
    """Dropped after processing: a dataset is found by its create token and adopted; a job is
    adopted on proof, else named. Dropped before: the client cannot tell, so nothing is
    submitted again; the error says what to check."""
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.echo_request_id = proof
    s.inject(action, "POST", path)
    run_export(s)
    when = "before" if action == "drop_before" else "after"
    result = s.record(f"connection dropped {when} processing" + proof_label(proof), label, started)
    if action == "drop_after" and path == "/export/jobs":
        lost_but_processed(result, proof)
        return
    if action == "drop_after":
        ok(result)
        assert (result.datasets_after, result.jobs_after) == (1, 1)
        return
    clean_error(result, UNRESOLVED)
    assert result.jobs_after == 0
    if path == "/export/jobs":
        next_up_exports_once(s, s.outputs[0]["dataset_id"])


def test_expired_token(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    s.inject("expire_token", "GET", "/export/jobs/")
    run_export(s)
    ok(s.record("token expired (401)", "a job poll", started))


@PROOF
def test_malformed_body_on_create_is_reconciled(scenario: Make, proof: bool) -> None:
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.echo_request_id = proof
    s.inject("malformed", "POST", "/export/jobs")
    run_export(s)
    result = s.record(
        "malformed JSON body (200)" + proof_label(proof), "POST /export/jobs", started
    )
    lost_but_processed(result, proof)


def test_malformed_body_on_poll(scenario: Make) -> None:
    """An unreadable status answer says nothing about the job: the wait asks again."""
    s, started = scenario(), time.monotonic()
    s.inject("malformed", "GET", "/export/jobs/")
    run_export(s)
    ok(s.record("malformed JSON body (200)", "a job poll", started))


def test_unknown_job_status(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    run_export(s, fields=["_sandbox.odd"])
    ok(s.record("unknown job status", "job polls", started))
    assert "unknown status 'QUEUED_FOR_SPARK'" in s.host.log_text()


def test_failing_job(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    run_export(s, fields=["_sandbox.fail"])
    result = s.record("job FAILED", "AEP job", started)
    clean_error(result, "[0090000009]")
    assert result.jobs_after == 0


def test_job_outlasting_the_wait(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.job_duration = 30
    run_export(s, wait_timeout_seconds=0.8)
    result = s.record("job outlasts wait_timeout_seconds", "AEP job", started)
    # Its own deadline is the one thing that may cancel a running export.
    clean_error(result, "wait_timeout_seconds", cancelled=1)
    assert result.jobs_after == 0


def test_dropped_connection_on_destroy(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    run_export(s)
    dataset_out, job_out = s.outputs
    s.inject("drop_before", "DELETE", "/export/jobs/")
    s.inject("error", "DELETE", "/dataSets/", status=503)
    s.destroyed.add(str(int(job_out["job_id"])))
    s.host.delete("job", "export", str(int(job_out["job_id"])), job_out)
    s.host.delete("dataset", "target", dataset_out["dataset_id"], dataset_out)
    s.kept.clear()
    result = s.record("connection dropped / 503", "destroy (DELETE)", started)
    ok(result)
    assert (result.datasets_after, result.jobs_after) == (0, 0)
