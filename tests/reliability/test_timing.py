"""Exactly once under AEP's real timing: slow listings, late processing, clock skew, outages, two
stacks (issue #15). Each scenario runs through Pulumi's provider host against the sandbox with its
timing fault on; every row must read 0 duplicates, 0 unnamed orphans, 0 wrong adoptions and 0
exports cancelled by an outage."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from aep_pulumi.core.export_job.claims import CLAIM_PREFIX, LOST_PREFIX
from aep_pulumi.testing import provider_host_for
from aep_pulumi.testing.provider_host import ProviderHost

from .conftest import Scenario, reliability_host
from .test_faults import UNRESOLVED, clean_error, ok

Make = Callable[[], Scenario]
OWNER_A = "org/aep-exports/stack-a/export"
OWNER_B = "org/aep-exports/stack-b/export"


def tags(s: Scenario, dataset_id: str) -> dict[str, list[str]]:
    return dict(s.sandbox.app.store.dataset("prod", dataset_id)["tags"])


def claims_of(s: Scenario, dataset_id: str) -> dict[int, str]:
    """job id -> owner, as the dataset's claim tags say."""
    return {
        int(name[len(CLAIM_PREFIX) :]): next(v for v in values if v.startswith("owner:"))[6:]
        for name, values in tags(s, dataset_id).items()
        if name.startswith(CLAIM_PREFIX)
    }


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def existing_dataset(s: Scenario) -> str:
    """A dataset another tool made earlier: no provider process knows it is new."""
    dataset_id = s.sandbox.app.store.create_dataset(
        "prod",
        {
            "name": "shared target",
            "schemaRef": {"id": "https://ns.adobe.com/xdm/context/profile__union"},
        },
        "TESTORG@AdobeOrg",
        "another-tool",
    )
    s.foreign.add(dataset_id)  # not this scenario's to count
    return dataset_id


# ------------------------------------------------------------------ (a) two stacks


def test_two_stacks_never_adopt_each_others_job(scenario: Make) -> None:
    """Stack B's POST is processed late (after B's 1 s timeout); stack A submits the same export
    into the same dataset 0.3 s after B sent its request. B must adopt its own job, not A's."""
    s, started = scenario(), time.monotonic()
    dataset_id = existing_dataset(s)
    # AEP keeps the create's x-request-id as the job's requestId: B's proof (without it B
    # adopts nothing: test_without_luck.py).
    s.sandbox.app.config.echo_request_id = True
    s.inject("latency", "POST", "/export/jobs", latency_ms=1500)
    results: dict[str, Any] = {}
    with reliability_host(s.sandbox) as stack_a, reliability_host(s.sandbox) as stack_b:

        def run(name: str, host: ProviderHost, owner: str) -> None:
            results[name] = s.job(
                dataset_id, "export", host=host, owner=owner, wait_for_completion=False
            )

        b = threading.Thread(target=run, args=("b", stack_b, OWNER_B))
        b.start()
        time.sleep(0.3)
        run("a", stack_a, OWNER_A)
        b.join()
        log = stack_a.log_text() + stack_b.log_text()
    result = s.record(
        "two stacks, one answer lost and processed late",
        "POST /export/jobs (stacks A and B)",
        started,
        log=log,
    )
    ok(result)
    job_a, job_b = int(results["a"]["job_id"]), int(results["b"]["job_id"])
    assert job_a != job_b and result.jobs_after == 2
    # A claim names `<project>/<stack>/<resource>`: the organisation is not part of it.
    assert claims_of(s, dataset_id) == {
        job_a: OWNER_A.partition("/")[2],
        job_b: OWNER_B.partition("/")[2],
    }
    assert f"export job {job_b} carries this request's id" in log
    assert not any(name.startswith(LOST_PREFIX) for name in tags(s, dataset_id))


# ------------------------------------------------------------------ (b) replacement


def test_a_replacement_does_not_call_the_job_it_replaces_interrupted(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    dataset_id = existing_dataset(s)
    s.sandbox.app.config.job_duration = 30
    # The listing shows the old job at once: what keeps it out of the warning is that the
    # state holds it (the replacement's diff), not a listing that has not caught up yet.
    s.sandbox.app.config.listing_lag = 0
    old = s.job(dataset_id, "export", triggers=["1"], wait_for_completion=False)
    assert old is not None and old["status"] in ("NEW", "PROCESSING")
    with reliability_host(s.sandbox) as next_up:  # the next `pulumi up`: a new process
        s.host = next_up
        new_inputs, _ = next_up.check(
            "job",
            "export",
            {
                "dataset_id": dataset_id,
                "fields": ["identities.id"],
                "triggers": ["2"],
                "wait_for_completion": False,
                "owner": "org/aep-test/test/export",
            },
        )
        diff = next_up.diff("job", "export", str(int(old["job_id"])), old, new_inputs)
        assert "triggers" in diff.replaces
        new = s.job(dataset_id, "export", triggers=["2"], wait_for_completion=False)
        log = next_up.log_text()
    result = s.record(
        "replacement while the old job runs", "create before delete", started, log=log
    )
    ok(result)
    assert new is not None and new["job_id"] != old["job_id"]
    assert "interrupted" not in log, log


# ------------------------------------------------------------------ (c) interrupted `up`


def interrupted_up(s: Scenario, dataset_id: str, *, claimed: bool = True, **props: Any) -> int:
    """A `pulumi up` killed (no Cancel reaches the provider) while its job runs; its job id."""
    inputs, _ = s.host.check(
        "job",
        "export",
        {
            "dataset_id": dataset_id,
            "fields": ["identities.id"],
            "owner": "org/aep-test/test/export",
            **props,
        },
    )
    if not claimed:
        # The claim's PATCH hangs (after the probe that lets the POST go): killed meanwhile.
        s.inject("latency", "PATCH", "/dataSets/", latency_ms=8000, skip=1)
    with provider_host_for(s.sandbox) as doomed:

        def create() -> None:
            try:
                doomed.create("job", "export", inputs)
            except grpc.RpcError:
                return  # the host is killed under it

        threading.Thread(target=create, daemon=True).start()
        if claimed:
            wait_until(lambda: bool(claims_of(s, dataset_id)))
        else:
            wait_until(lambda: bool(s.sandbox.state()["jobs"]))
        doomed.process.kill()
    (job_id,) = s.sandbox.state()["jobs"]
    return int(job_id)


@pytest.mark.parametrize("finished", [False, True], ids=["still running", "succeeded"])
def test_the_next_up_adopts_the_job_an_interrupted_up_left(scenario: Make, finished: bool) -> None:
    s, started = scenario(), time.monotonic()
    dataset_id = existing_dataset(s)
    s.sandbox.app.config.job_duration = 2.0 if finished else 30
    left = interrupted_up(s, dataset_id)
    if finished:
        wait_until(
            lambda: (s.sandbox.app.store.job_view("prod", left) or {}).get("status") == "SUCCEEDED"
        )
    s.sandbox.app.config.job_duration = 0.4
    with reliability_host(s.sandbox) as next_up:
        s.host = next_up
        job = s.job(dataset_id, "export", wait_for_completion=finished)
        log = next_up.log_text()
    result = s.record(
        f"`up` killed while its job ran; the job {'SUCCEEDED' if finished else 'ran on'} before the next `up`",
        "between two `up`s",
        started,
        log=log,
    )
    ok(result)
    assert job is not None and int(job["job_id"]) == left and result.jobs_after == 1
    assert f"export job {left} (" in log and "did not finish; it is adopted" in log


def test_an_unclaimed_leftover_of_the_same_request_is_named(scenario: Make) -> None:
    """The job of a killed `up` whose claim never reached the dataset: nothing proves it is this
    resource's, so a new job is submitted, and the warning names the old one, finished or not."""
    s, started = scenario(), time.monotonic()
    dataset_id = existing_dataset(s)
    s.sandbox.app.config.job_duration = 2.0
    left = interrupted_up(s, dataset_id, claimed=False)
    wait_until(
        lambda: (s.sandbox.app.store.job_view("prod", left) or {}).get("status") == "SUCCEEDED"
    )
    s.sandbox.app.config.job_duration = 0.4
    with reliability_host(s.sandbox) as next_up:
        s.host = next_up
        s.job(dataset_id, "export")
        log = next_up.log_text()
    result = s.record(
        "`up` killed before its claim; the job SUCCEEDED", "between two `up`s", started, log=log
    )
    assert result.outcome == "success" and result.duplicates == 0 and result.wrong_adoptions == 0
    assert result.orphans == result.orphans_named == 1, result
    assert f"export job(s) {left} (SUCCEEDED" in log and "no stack claims it" in log
    assert "ProfileExportJob.get(name, id)" in log and "DELETE /data/core/ups/export/jobs" in log


# ------------------------------------------------------------------ (d) listing lag


@pytest.mark.parametrize(("lag", "timeout"), [(3.0, "1"), (6.0, "3")])
def test_a_lost_answer_waits_for_a_lagging_listing(
    scenario: Make, lag: float, timeout: str
) -> None:
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.listing_lag = lag
    s.sandbox.app.config.echo_request_id = True  # the proof; the timing is what is tested
    dataset_id = existing_dataset(s)
    s.inject("drop_after", "POST", "/export/jobs")
    with reliability_host(
        s.sandbox, AEP_HTTP_TIMEOUT_SECONDS=timeout, AEP_LOST_ANSWER_SEARCH_SECONDS=str(lag + 3)
    ) as host:
        s.host = host
        job = s.job(dataset_id, "export")
    result = s.record(
        f"lost answer, listing {lag:g} s behind",
        f"POST /export/jobs ({timeout} s HTTP timeout)",
        started,
    )
    ok(result)
    assert job is not None and result.jobs_after == 1


def test_a_job_listed_after_the_search_is_adopted_by_the_next_up(scenario: Make) -> None:
    """The listing lags longer than the search: the create fails without claiming that nothing
    was made; the next `up` finds the job and adopts it."""
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.listing_lag = 8.0
    s.sandbox.app.config.echo_request_id = True  # the lost record keeps the request id
    dataset_id = existing_dataset(s)
    s.inject("drop_after", "POST", "/export/jobs")
    s.job(dataset_id, "export")
    (made,) = s.sandbox.state()["jobs"]
    # The job exists and no state holds it yet: the error names the dataset and the recorded
    # request, and never says that nothing was created.
    assert s.errors and UNRESOLVED in s.errors[-1] and dataset_id in s.errors[-1]
    assert "nothing was created" not in s.errors[-1]
    assert any(name.startswith(LOST_PREFIX) for name in tags(s, dataset_id))
    # The next `up` comes once AEP lists the job (within the search, in every run AEP is
    # documented to make; here on purpose after it).
    listed = s.sandbox.app.store.job_view("prod", int(made))
    assert listed is not None
    wait_until(lambda: time.time() * 1000 > listed["creationTime"] + 8_000 + 200)
    with reliability_host(s.sandbox) as next_up:
        s.host = next_up
        s.errors.clear()
        job = s.job(dataset_id, "export")
        log = next_up.log_text()
    result = s.record(
        "lost answer, listing behind the whole search; the next `up`",
        "POST /export/jobs, then the next `up`",
        started,
        log=log,
    )
    ok(result)
    assert job is not None and str(int(job["job_id"])) == made and result.jobs_after == 1
    assert "whose answer an earlier `pulumi up` lost" in log
    assert not any(name.startswith(LOST_PREFIX) for name in tags(s, dataset_id))


# ------------------------------------------------------------------ (e) clock skew


@pytest.mark.parametrize("offset", [-30.0, 30.0], ids=["machine ahead", "machine behind"])
def test_a_lost_answer_is_judged_in_aeps_clock(scenario: Make, offset: float) -> None:
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.clock_offset = offset
    s.sandbox.app.config.echo_request_id = True  # the proof; the window's clock is tested
    s.inject("drop_after", "POST", "/export/jobs")
    with reliability_host(s.sandbox) as host:  # a first deploy: a new process, a new dataset
        s.host = host
        dataset_id = s.dataset()
        assert dataset_id is not None
        job = s.job(dataset_id, "export")
    result = s.record(
        f"lost answer, the machine's clock 30 s {'ahead of' if offset < 0 else 'behind'} AEP's",
        "first deploy",
        started,
    )
    ok(result)
    assert job is not None and result.jobs_after == 1


# ------------------------------------------------------------------ (f) outages


def test_six_503s_on_status_reads_do_not_end_the_export(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.job_duration = 3.0
    dataset_id = s.dataset()
    assert dataset_id is not None
    s.inject("error", "GET", "/export/jobs/", status=503, times=6)
    job = s.job(dataset_id, "export")
    result = s.record(
        "six 503s in a row", "status reads during the wait", started, log=s.host.log_text()
    )
    ok(result)
    assert job is not None and job["status"] == "SUCCEEDED"
    assert "the export is not affected, still waiting" in s.host.log_text()


def test_an_ims_503_during_a_token_renewal_does_not_end_the_export(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    s.sandbox.app.config.job_duration = 2.0
    dataset_id = s.dataset()
    assert dataset_id is not None
    s.inject("expire_token", "GET", "/export/jobs/")
    s.inject("error", "POST", "/ims/token", status=503)
    job = s.job(dataset_id, "export")
    ok(s.record("IMS 503 on the renewal after a 401", "a status read during the wait", started))
    assert job is not None and job["status"] == "SUCCEEDED"


def test_an_ims_503_at_the_first_token_is_retried(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    with reliability_host(s.sandbox) as fresh:  # no token yet
        s.host = fresh
        s.inject("error", "POST", "/ims/token", status=503)
        run_ok = s.dataset() is not None
    assert run_ok, s.errors
    ok(s.record("IMS 503 at the first token", "IMS", started))


def test_a_token_with_a_line_break_fails_at_once_saying_nothing_was_sent(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    before = len(s.sandbox.app.request_log)
    with provider_host_for(
        {
            **s.sandbox.env,
            "AEP_CLIENT_SECRET": "",
            "AEP_ACCESS_TOKEN": "a-token\n",
            "AEP_API_KEY": "k",
        }
    ) as host:
        s.host = host
        inputs, failures = host.check("dataset", "target", {"name": "x"})
        # `pulumi preview` says it, keyed on no property: the reason names the key.
        assert [p for p, _ in failures] == [""], failures
        assert failures[0][1].startswith("`aep:accessToken` (or env AEP_ACCESS_TOKEN)")
        create_started = time.monotonic()
        s._create("dataset", "target", inputs)
        create_seconds = time.monotonic() - create_started
    result = s.record("a token with a trailing line break", "configuration", started)
    clean_error(result, "nothing was sent")
    assert "line break" in s.errors[-1] and "a-token" not in s.errors[-1]
    assert len(s.sandbox.app.request_log) == before, "no request was sent"
    # At once: the create alone (not the host's start, which a busy machine slows), well under
    # the 7.75 s at least that the client's five backed-off retries would take.
    assert create_seconds < 3, create_seconds


# ------------------------------------------------------------------ (g) (h) waits


def test_a_replaced_wait_over_a_forgotten_job_judges_it_by_its_batch(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    dataset_id = s.dataset()
    assert dataset_id is not None
    job = s.job(dataset_id, "export", wait_for_completion=False)
    assert job is not None
    job_id = str(int(job["job_id"]))
    inputs, _ = s.host.check("wait", "all", {"job_ids": [job_id]})
    wait = s.host.create("wait", "all", inputs)
    s.sandbox.app.store.forget_job("prod", int(job_id))
    with reliability_host(s.sandbox) as next_up:  # the next `up` replaces the wait
        s.host = next_up
        new_inputs, _ = next_up.check("wait", "all", {"job_ids": [job_id], "timeout_seconds": 60})
        next_up.diff("wait", "all", wait.id, wait.outs, new_inputs)
        replaced = next_up.create("wait", "all", new_inputs)
    s.kept.discard(job_id)
    ok(s.record("wait replaced over a job AEP forgot", "after the job SUCCEEDED", started))
    assert replaced.outs["statuses"] == {job_id: "SUCCEEDED"}
    assert replaced.outs["batch_ids"] == {job_id: job["batch_id"]}


def test_a_wait_over_jobs_of_another_sandbox_says_so(scenario: Make) -> None:
    s, started = scenario(), time.monotonic()
    inputs, _ = s.host.check("dataset", "target", {"name": "dev target", "sandbox_name": "dev"})
    dataset = s.host.create("dataset", "target", inputs)
    job = s.job(dataset.id, "export", sandbox_name="dev", wait_for_completion=False)
    assert job is not None
    job_id = str(int(job["job_id"]))
    wait_inputs, _ = s.host.check("wait", "all", {"job_ids": [job_id]})
    with pytest.raises(grpc.RpcError) as raised:
        s.host.create("wait", "all", wait_inputs)
    message = raised.value.details() or ""
    assert f"{job_id} (in sandbox 'dev')" in message and "set its sandbox_name" in message
    assert "--refresh" not in message
    s.errors.append(message)
    s.kept.update({dataset.id, job_id})
    clean_error(
        s.record("a wait over jobs of another sandbox", "ProfileExportWait", started),
        "sandbox 'dev'",
    )


# ------------------------------------------------------------------ suspected, settled


def test_a_forgotten_segment_per_batch_job_is_kept_by_its_segment_batches(scenario: Make) -> None:
    """A segmentPerBatch job's top-level batchId has no Catalog batch (the sandbox, like AEP,
    makes one per segment): a refresh after AEP forgot the job keeps it."""
    s, started = scenario(), time.monotonic()
    dataset_id = s.dataset()
    assert dataset_id is not None
    job = s.job(
        dataset_id,
        "export",
        segments=[{"segment_id": "s1"}, {"segment_id": "s2"}],
        segment_per_batch=True,
    )
    assert job is not None and len(job["batches"]) == 2
    job_id = str(int(job["job_id"]))
    s.sandbox.app.store.forget_job("prod", int(job_id))
    read_id, refreshed, _ = s.host.read("job", "export", job_id, job)
    s.kept.discard(job_id)
    ok(s.record("segmentPerBatch job AEP forgot", "refresh", started))
    assert read_id == job_id and refreshed["status"] == "SUCCEEDED"
