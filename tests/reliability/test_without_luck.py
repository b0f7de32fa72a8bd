"""Exactly once without luck (issue #23): each scenario through both doors, the dynamic
providers' host and the native plugin, against the sandbox with the fault that broke it.

A claim that cannot be read, written or kept is never taken for "no claim"; a job whose end was
not seen is never deleted; a job nobody claims is adopted only on proof (its record carries the
request id the create sent)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from aep_pulumi.core.export_job.claims import (
    CLAIM_PREFIX,
    LOST_PREFIX,
    backend_identity,
    claim_value,
    request_fingerprint,
)
from aep_pulumi.core.inputs import check_export_job_inputs
from aep_pulumi.core.payloads import export_job_request
from aep_pulumi.testing import SandboxHandle

from .conftest import (
    Host,
    Result,
    Scenario,
    reliability_host,
    reliability_native_host,
)
from .test_faults import clean_error, ok
from .test_timing import claims_of, existing_dataset, tags, wait_until

DOORS = ["dynamic", "native"]
# The native plugin's URNs are `urn:pulumi:test::aep-test::...`; the dynamic door's owner input
# names the same stack, so both doors claim as one identity.
PROJECT_STACK = "aep-test/test"
Make = Callable[[], Scenario]


def owner_input(name: str, stack: str = "test") -> str:
    return f"org/aep-test/{stack}/{name}"


@contextmanager
def door_host(door: str, sandbox: SandboxHandle, stack: str = "test", **env: str) -> Iterator[Host]:
    """A provider process of ``door``; on the native door its URNs name ``stack`` (on the
    dynamic door the stack is in the ``owner`` input the test passes)."""
    if door == "dynamic":
        with reliability_host(sandbox, **env) as dynamic:
            yield dynamic
        return
    with reliability_native_host(sandbox, **env) as native:
        native.stack = stack
        yield native


@contextmanager
def on_door(scenario: Make, door: str, stack: str = "test", **env: str) -> Iterator[Scenario]:
    """A scenario whose `pulumi up` runs through ``door`` (a provider process of its own)."""
    s = scenario()
    with door_host(door, s.sandbox, stack, **env) as host:
        s.host = host
        yield s


def record(s: Scenario, door: str, fault: str, where: str, started: float, **kw: Any) -> Result:
    # One row per scenario in docs/reliability.md (the dynamic door's; the native door's run
    # asserts the same outcome).
    return s.record(fault, where, started, table=door == "dynamic", **kw)


def both_stacks(run: Callable[[str, Host], None], a: Host, b: Host) -> None:
    """``run`` for stacks "a" and "b" at once, each through its own provider process."""
    threads = [threading.Thread(target=run, args=pair) for pair in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def api_body(dataset_id: str, **props: Any) -> dict[str, Any]:
    inputs, _ = check_export_job_inputs(
        {"dataset_id": dataset_id, "fields": ["identities.id"], **props}
    )
    body: dict[str, Any] = export_job_request(inputs).to_api()
    return body


def foreign_job(s: Scenario, dataset_id: str) -> int:
    """The same request, submitted by another tool (no claim, no request id of ours)."""
    inputs, _ = check_export_job_inputs({"dataset_id": dataset_id, "fields": ["identities.id"]})
    job_id = s.sandbox.client().create_export_job(export_job_request(inputs)).id
    s.foreign.add(str(job_id))
    return job_id


def live_jobs(s: Scenario) -> dict[int, str]:
    state = s.sandbox.state()
    return {int(k): v["status"] for k, v in state["jobs"].items()}


# ------------------------------------------------------------------ 1. a finished export


@pytest.mark.parametrize("door", DOORS)
def test_a_job_that_succeeded_during_a_status_outage_is_kept_at_its_deadline(
    scenario: Make, door: str
) -> None:
    """Status reads fail across wait_timeout_seconds while the job SUCCEEDS: the last look
    (its batch, since its record cannot be read) sees the export done; nothing is deleted."""
    with on_door(scenario, door, AEP_MAX_RETRIES="0") as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        s.sandbox.app.config.job_duration = 0.5
        s.inject("error", "GET", "/export/jobs/", status=503, seconds=8)
        out = s.job(dataset_id, wait_timeout_seconds=2.0)
        log = s.host.log_text()
    result = record(
        s, door, "job SUCCEEDED while status reads failed", "deadline of the wait", started
    )
    ok(result)
    assert out is not None and out["status"] == "SUCCEEDED"
    assert live_jobs(s) == {int(out["job_id"]): "SUCCEEDED"}
    assert "the export happened" in log and "finished late" in log


@pytest.mark.parametrize("door", DOORS)
def test_a_job_whose_end_was_not_seen_is_kept_and_the_next_up_adopts_it(
    scenario: Make, door: str
) -> None:
    """Job and batch reads both fail at the deadline: the job is not cancelled. The dynamic
    door fails naming it and keeps its claim, the native door keeps it as partial state; the
    next `up` does not export again."""
    with on_door(scenario, door, AEP_MAX_RETRIES="0") as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        s.sandbox.app.config.job_duration = 0.5
        s.inject("error", "GET", "/export/jobs/", status=503, seconds=4)
        s.inject("error", "GET", "/batches/", status=503, seconds=4)
        out = s.job(dataset_id, wait_timeout_seconds=1.0)
    result = record(
        s, door, "status and batch reads down at the deadline", "deadline of the wait", started
    )
    (job_id,) = live_jobs(s)
    assert result.outcome.startswith("clear error") and out is None
    assert f"export job {job_id} was left as it is in AEP" in s.errors[-1]
    assert "was not cancelled" in s.errors[-1]
    assert result.cancelled_running == 0 and claims_of(s, dataset_id) == {
        job_id: f"{PROJECT_STACK}/export"
    }
    if door == "native":
        assert "the stack holds it" in s.errors[-1]
    else:
        assert "its claim on dataset" in s.errors[-1]
    time.sleep(3.5)  # the outage ends
    with on_door(scenario, door) as again:
        again.kept, again.foreign = s.kept, s.foreign
        adopted = again.job(dataset_id, owner=owner_input("export"))
        log = again.host.log_text()
    assert adopted is not None and int(adopted["job_id"]) == job_id, again.errors
    assert "adopted instead of exporting again" in log
    assert list(live_jobs(s)) == [job_id]


# ------------------------------------------------------------------ 2. unreadable claims


@pytest.mark.parametrize("door", DOORS)
def test_claims_that_cannot_be_read_stop_the_create_and_adopt_nothing(
    scenario: Make, door: str
) -> None:
    """Stack A's job of the same request is claimed; stack B cannot read the dataset's tags
    (a 503 burst) and its POST would be lost: B submits nothing and adopts nothing."""
    with on_door(scenario, door, AEP_MAX_RETRIES="0") as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        with door_host(door, s.sandbox, "stack-a") as stack_a:
            a = s.job(dataset_id, host=stack_a, owner=owner_input("export", "stack-a"))
        assert a is not None
        s.inject("error", "GET", f"/dataSets/{dataset_id}", status=503, seconds=20)
        s.inject("drop_before", "POST", "/export/jobs")
        b = s.job(dataset_id, owner=owner_input("export", "stack-b"))
    result = record(s, door, "claims unreadable (503)", "GET /dataSets/{id}", started)
    clean_error(result, "could not read the claims")
    assert b is None
    assert list(live_jobs(s)) == [int(a["job_id"])]
    assert claims_of(s, dataset_id) == {int(a["job_id"]): "aep-test/stack-a/export"}


# ------------------------------------------------------------------ 3. claims not written


@pytest.mark.parametrize("door", DOORS)
def test_a_dataset_that_cannot_be_tagged_stops_the_create_before_anything_is_exported(
    scenario: Make, door: str
) -> None:
    with on_door(scenario, door) as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        s.inject("error", "PATCH", f"/dataSets/{dataset_id}", status=403, seconds=30)
        out = s.job(dataset_id)
    result = record(s, door, "claim refused (403)", "PATCH /dataSets/{id}", started)
    clean_error(result, "cannot tag dataset")
    assert out is None and live_jobs(s) == {}
    assert "nothing was exported" in s.errors[-1] and "aep:requireClaims" in s.errors[-1]
    assert "Manage Datasets" in s.errors[-1]


@pytest.mark.parametrize("door", DOORS)
def test_require_claims_false_exports_without_them_and_says_so(scenario: Make, door: str) -> None:
    with on_door(scenario, door, AEP_REQUIRE_CLAIMS="false") as s:
        dataset_id = existing_dataset(s)
        s.inject("error", "PATCH", f"/dataSets/{dataset_id}", status=403, seconds=30)
        out = s.job(dataset_id)
        log = s.host.log_text()
    assert out is not None and out["status"] == "SUCCEEDED", s.errors
    assert "could not be written" in log and claims_of(s, dataset_id) == {}


@pytest.mark.parametrize("door", DOORS)
def test_a_claim_that_cannot_be_written_after_the_post_cancels_the_job(
    scenario: Make, door: str
) -> None:
    """The probe passes, then every claim PATCH fails (503 after its retries): the job, seen
    NEW, is cancelled; nothing unclaimed is left running for a later `up` to export again."""
    with on_door(scenario, door, AEP_MAX_RETRIES="0") as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        s.sandbox.app.config.job_duration = 30
        s.inject("error", "PATCH", f"/dataSets/{dataset_id}", status=503, seconds=30, skip=1)
        out = s.job(dataset_id)
    result = record(s, door, "claim PATCH 503 after the POST", "PATCH /dataSets/{id}", started)
    clean_error(result, "could not be written", cancelled=1)
    assert out is None and live_jobs(s) == {}
    assert "was cancelled and deleted" in s.errors[-1]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    ("action", "status"), [("error", 409), ("drop_after", 503)], ids=["409", "answer lost"]
)
def test_a_claim_refused_once_or_answered_lost_is_read_back(
    scenario: Make, door: str, action: str, status: int
) -> None:
    """A 409 (another writer at that moment) is retried; an answer lost after Catalog applied
    the PATCH is found applied by the read-back."""
    with on_door(scenario, door, AEP_MAX_RETRIES="0") as s:
        dataset_id = existing_dataset(s)
        s.inject(action, "PATCH", f"/dataSets/{dataset_id}", status=status, skip=1)
        out = s.job(dataset_id)
    assert out is not None and out["status"] == "SUCCEEDED", s.errors
    assert claims_of(s, dataset_id) == {int(out["job_id"]): f"{PROJECT_STACK}/export"}


# ------------------------------------------------------------------ 4. claims verified


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("wait", [True, False], ids=["waiting", "batched"])
def test_two_stacks_claiming_at_once_on_a_read_modify_write_catalog_lose_no_claim(
    scenario: Make, door: str, wait: bool
) -> None:
    with on_door(scenario, door) as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        s.sandbox.app.config.patch_read_modify_write = True
        s.sandbox.app.config.patch_rmw_pause = 0.15
        outs: dict[str, dict[str, Any] | None] = {}
        with door_host(door, s.sandbox, "b") as other:

            def run(stack: str, host: Host) -> None:
                for i in range(3):
                    outs[f"{stack}{i}"] = s.job(
                        dataset_id,
                        f"export-{i}",
                        host=host,
                        owner=owner_input(f"export-{i}", stack),
                        triggers=[stack, str(i)],
                        wait_for_completion=wait,
                    )

            both_stacks(run, s.host, other)
            # What a wait (or the end of the `up`) leaves time for: the keeper's second look.
            wait_until(lambda: len(claims_of(s, dataset_id)) == 6, timeout=10)
    result = record(
        s,
        door,
        "two stacks claim at once (read-modify-write PATCH)",
        "PATCH /dataSets/{id}",
        started,
    )
    assert all(outs.values()), s.errors
    jobs = {int(o["job_id"]) for o in outs.values() if o}
    assert set(claims_of(s, dataset_id)) == jobs and result.duplicates == 0


# ------------------------------------------------------------------ 5. released, pruned


@pytest.mark.parametrize("door", DOORS)
def test_a_discarded_job_releases_its_claim(scenario: Make, door: str) -> None:
    with on_door(scenario, door) as s:
        dataset_id = existing_dataset(s)
        out = s.job(dataset_id, fields=["_sandbox.fail"])
    assert out is None and "FAILED" in s.errors[-1]
    assert claims_of(s, dataset_id) == {}
    assert not any(name.startswith(LOST_PREFIX) for name in tags(s, dataset_id))


@pytest.mark.parametrize("door", DOORS)
def test_stale_claims_are_pruned_with_one_listing_and_one_patch(scenario: Make, door: str) -> None:
    """30 claims of this resource whose jobs failed or are gone: the next create reads none of
    them one by one, and removes them all in one PATCH."""
    backend = {"PULUMI_BACKEND_URL": "file:///srv/pulumi"}
    with on_door(scenario, door, **backend) as s:
        dataset_id = existing_dataset(s)
        old = int(s.sandbox.app.store.now_ms()) - 3600_000
        stale: dict[str, list[str]] = {}
        for job_id in range(900_000, 900_030):
            value = claim_value(f"{PROJECT_STACK}/export", "x", backend_identity(backend), old)
            stale[f"{CLAIM_PREFIX}{job_id}"] = value
        s.sandbox.app.store.patch_dataset("prod", dataset_id, {"tags": stale})
        before = len(s.sandbox.app.request_log)
        out = s.job(dataset_id)
        calls = s.sandbox.app.request_log[before:]
    assert out is not None, s.errors
    gets = [c for c in calls if c["method"] == "GET" and "/export/jobs/9000" in c["path"]]
    assert gets == []
    assert claims_of(s, dataset_id) == {int(out["job_id"]): f"{PROJECT_STACK}/export"}
    patches = [c for c in calls if c["method"] == "PATCH"]
    assert len(patches) <= 4, patches  # probe, claim (+ read-back), one pruning PATCH


# ------------------------------------------------------------------ 6. adoption by id


@pytest.mark.parametrize("door", DOORS)
def test_adopting_a_job_by_id_claims_it(scenario: Make, door: str) -> None:
    with on_door(scenario, door) as s:
        dataset_id = existing_dataset(s)
        job_id = foreign_job(s, dataset_id)
        s.host.read("job", "adopted", str(job_id), {}, as_get=True)
    assert claims_of(s, dataset_id) == {job_id: "adopted-by-id"}


# ------------------------------------------------------------------ 7. two lost answers


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("echo", [False, True], ids=["no request id", "request id echoed"])
def test_two_stacks_losing_the_answers_of_one_request(
    scenario: Make, door: str, echo: bool
) -> None:
    """Both POSTs processed, both answers lost. Without proof, neither adopts either job and
    neither message advises cancelling "the others"; with the request id echoed, each adopts
    its own."""
    with on_door(scenario, door, "a") as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        s.sandbox.app.config.echo_request_id = echo
        s.inject("drop_after", "POST", "/export/jobs", times=2)
        outs: dict[str, dict[str, Any] | None] = {}
        with door_host(door, s.sandbox, "b") as other:

            def run(stack: str, host: Host) -> None:
                outs[stack] = s.job(dataset_id, host=host, owner=owner_input("export", stack))

            both_stacks(run, s.host, other)
    result = record(
        s,
        door,
        f"two stacks, both answers lost ({'request id echoed' if echo else 'no request id'})",
        "POST /export/jobs (stacks A and B)",
        started,
    )
    assert result.duplicates == 0 and result.wrong_adoptions == 0
    if echo:
        ok(result)
        assert claims_of(s, dataset_id) == {
            int(outs["a"]["job_id"]): "aep-test/a/export",  # type: ignore[index]
            int(outs["b"]["job_id"]): "aep-test/b/export",  # type: ignore[index]
        }
        return
    assert outs == {"a": None, "b": None} and len(s.errors) == 2
    for error in s.errors:
        assert "cancel the others" not in error and "None was adopted" in error
        assert all(f"{job} (" in error for job in live_jobs(s))
    assert any("Another stack's request lost its answer" in e for e in s.errors)
    assert claims_of(s, dataset_id) == {}


# ------------------------------------------------------------------ 8. one owner identity


@pytest.mark.parametrize("door", DOORS)
def test_a_claim_of_0_1_0_or_of_the_other_door_is_this_resources_own(
    scenario: Make, door: str
) -> None:
    """A running job claimed as 0.1.0's dynamic door wrote it (`<org>/<project>/<stack>/<res>`,
    no backend): the next `up` of the same resource adopts it on either door."""
    with on_door(scenario, door) as s:
        dataset_id = existing_dataset(s)
        s.sandbox.app.config.job_duration = 1.0
        job_id = foreign_job(s, dataset_id)
        s.foreign.discard(str(job_id))
        legacy = [f"owner:org/{PROJECT_STACK}/export", f"request:{_fingerprint(dataset_id)}"]
        s.sandbox.app.store.patch_dataset(
            "prod", dataset_id, {"tags": {f"{CLAIM_PREFIX}{job_id}": legacy}}
        )
        out = s.job(dataset_id, owner=owner_input("export"))
    assert out is not None and int(out["job_id"]) == job_id, s.errors
    assert list(live_jobs(s)) == [job_id]


@pytest.mark.parametrize("door", DOORS)
def test_the_same_names_on_another_backend_never_adopt_each_others_job(
    scenario: Make, door: str
) -> None:
    """A laptop (`--local`) and CI (a bucket) run the same project, stack and resource names:
    CI's running job is not the laptop's to adopt, and the laptop exports its own."""
    with on_door(scenario, door, PULUMI_BACKEND_URL="s3://ci-bucket/state") as ci:
        dataset_id = existing_dataset(ci)
        ci.sandbox.app.config.job_duration = 30
        ci_job = ci.job(dataset_id, wait_for_completion=False)
    assert ci_job is not None, ci.errors
    with on_door(scenario, door, PULUMI_BACKEND_URL="file:///home/me/.pulumi") as laptop:
        laptop.kept, laptop.foreign = ci.kept, ci.foreign
        mine = laptop.job(dataset_id, wait_for_completion=False)
    assert mine is not None and mine["job_id"] != ci_job["job_id"], laptop.errors
    assert len(claims_of(laptop, dataset_id)) == 2


# ------------------------------------------------------------------ 9. a foreign look-alike


@pytest.mark.parametrize("door", DOORS)
def test_a_foreign_identical_job_is_never_adopted_for_a_lost_answer(
    scenario: Make, door: str
) -> None:
    """Our POST never reached AEP; another tool submits the same request into the same dataset
    meanwhile. It is named, not adopted, and the next `up` neither adopts it nor exports."""
    with on_door(scenario, door) as s:
        started = time.monotonic()
        dataset_id = existing_dataset(s)
        s.sandbox.app.config.foreign_twins = True  # `aep-sandbox --foreign-twins`
        s.inject("drop_before", "POST", "/export/jobs")
        out = s.job(dataset_id)
        s.sandbox.app.config.foreign_twins = False
        s.foreign |= {str(j) for j in live_jobs(s)}
    result = record(s, door, "foreign identical job, our POST lost", "POST /export/jobs", started)
    (foreign,) = live_jobs(s)
    assert out is None and f"{foreign} (" in s.errors[-1]
    assert "None was adopted" in s.errors[-1] and result.wrong_adoptions == 0
    assert claims_of(s, dataset_id) == {}
    with on_door(scenario, door) as again:
        again.foreign = s.foreign
        assert again.job(dataset_id) is None
    assert f"{foreign} (" in again.errors[-1] and list(live_jobs(s)) == [foreign]


def _fingerprint(dataset_id: str) -> str:
    return request_fingerprint(api_body(dataset_id), None)


@pytest.mark.parametrize("door", DOORS)
def test_another_stacks_claimed_job_is_never_a_candidate(scenario: Make, door: str) -> None:
    """Stack B's POST never reached AEP; while B watches the listing for the job it may have
    made, stack A exports the same request and claims it. A's job is a look-alike created
    inside B's window (after B sent), so only A's claim tells it apart: B finds nothing of its
    own, and never names A's job as possibly B's."""
    with on_door(scenario, door, "stack-b") as s:
        dataset_id = existing_dataset(s)
        with door_host(door, s.sandbox, "stack-a") as stack_a:
            s.inject("drop_before", "POST", "/export/jobs")
            b = threading.Thread(
                target=s.job, args=(dataset_id,), kwargs={"owner": owner_input("export", "stack-b")}
            )
            b.start()
            # B's POST is dropped (the fault is used up) before A sends its own.
            wait_until(lambda: not s.sandbox.app.faults.script)
            dropped_at = s.sandbox.app.store.now_ms()
            a = s.job(dataset_id, host=stack_a, owner=owner_input("export", "stack-a"))
            b.join()
        assert a is not None
        # The case this test is for: A's job is inside B's window, not before it.
        assert int(a["creation_time"]) >= dropped_at
    assert len(s.errors) == 1, s.errors
    assert "may still appear" in s.errors[0]
    assert f"{int(a['job_id'])} (" not in s.errors[0]
    assert list(live_jobs(s)) == [int(a["job_id"])]


def test_a_renamed_stack_moves_its_claim(scenario: Make) -> None:
    """`pulumi stack rename dev dev2` changes the dynamic door's `owner` input: the next `up`
    updates the job in place (no export) and its claim names the new stack."""
    with on_door(scenario, "dynamic") as s:
        dataset_id = existing_dataset(s)
        out = s.job(dataset_id, owner=owner_input("export", "dev"))
        assert out is not None, s.errors
        job_id = str(int(out["job_id"]))
        news, _ = s.host.check(
            "job",
            "export",
            {
                "dataset_id": dataset_id,
                "fields": ["identities.id"],
                "owner": owner_input("export", "dev2"),
            },
        )
        diff = s.host.diff("job", "export", job_id, out, news)
        assert list(diff.replaces) == [] and diff.changes == provider_pb2.DiffResponse.DIFF_SOME
        s.host.update("job", "export", job_id, out, news)
    assert claims_of(s, dataset_id) == {int(job_id): "aep-test/dev2/export"}
    assert list(live_jobs(s)) == [int(job_id)]
