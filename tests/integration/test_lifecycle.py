"""The whole lifecycle through `python -m pulumi.dynamic` against the sandbox over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.provider_host import ProviderHost, Unknown

from ..conftest import GUIDE_JOB as JOB
from ..conftest import requires_specs

pytestmark = pytest.mark.integration


def up_dataset(
    host: ProviderHost, name: str = "target", **props: Any
) -> tuple[str, dict[str, Any]]:
    inputs, failures = host.check("dataset", name, {"name": "Profile Data Export", **props})
    assert failures == []
    created = host.create("dataset", name, inputs)
    return created.id, created.outs


def test_preview_checks_and_diffs_with_unknowns_without_calling_aep(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    before = len(live_sandbox.app.request_log)
    inputs, failures = host.check("job", "export", {"dataset_id": Unknown(), **JOB})
    assert failures == [] and inputs["wait_for_completion"] is True
    olds = {**inputs, "dataset_id": "d1", "sandbox_name": "prod", "status": "SUCCEEDED"}
    diff = host.diff("job", "export", "1", olds, {**inputs, "dataset_id": Unknown()})
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and "dataset_id" in diff.replaces
    assert len(live_sandbox.app.request_log) == before, "preview made HTTP calls"


def test_bad_input_is_a_check_failure_naming_the_property(host: ProviderHost) -> None:
    _, failures = host.check(
        "job",
        "export",
        {
            "dataset_id": "d",
            "event_list": {"from_ingest_timestamp": "last tuesday"},
            "merge_policy": {"id": "m", "version": 0},
        },
    )
    found = dict(failures)
    assert "not an RFC 3339 timestamp" in found["event_list.from_ingest_timestamp"]
    assert "1 or more" in found["merge_policy.version"]


def test_up_noop_change_refresh_destroy(host: ProviderHost, live_sandbox: SandboxHandle) -> None:
    dataset_id, ds_outs = up_dataset(host)
    assert ds_outs["dataset_id"] == dataset_id and ds_outs["schema_id"].endswith("profile__union")

    job_inputs, failures = host.check("job", "export", {"dataset_id": dataset_id, **JOB})
    assert failures == []
    job = host.create("job", "export", job_inputs)
    assert (
        job.outs["status"] == "SUCCEEDED"
        and job.outs["batch_id"]
        and job.id == str(int(job.outs["job_id"]))
    )
    assert f"export job {job.id}" in host.log_text()

    # A second `up` with the same program: no changes.
    assert (
        host.diff("job", "export", job.id, job.outs, job_inputs).changes
        == provider_pb2.DiffResponse.DIFF_NONE
    )
    ds_inputs, _ = host.check("dataset", "target", {"name": "Profile Data Export"})
    assert (
        host.diff("dataset", "target", dataset_id, ds_outs, ds_inputs).changes
        == provider_pb2.DiffResponse.DIFF_NONE
    )

    # Changing what is exported replaces the job; renaming the dataset updates it in place.
    changed, _ = host.check(
        "job", "export", {"dataset_id": dataset_id, **JOB, "fields": ["identities.id"]}
    )
    assert list(host.diff("job", "export", job.id, job.outs, changed).replaces) == ["fields"]
    renamed, _ = host.check("dataset", "target", {"name": "Renamed"})
    diff = host.diff("dataset", "target", dataset_id, ds_outs, renamed)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    ds_outs = host.update("dataset", "target", dataset_id, ds_outs, renamed)
    assert ds_outs["name"] == "Renamed"
    assert live_sandbox.state()["datasets"][dataset_id]["name"] == "Renamed"

    # Refresh sees an out-of-band rename, then an out-of-band deletion.
    live_sandbox.app.store.patch_dataset("prod", dataset_id, {"name": "Edited in the UI"})
    read_id, read_outs, _ = host.read("dataset", "target", dataset_id, ds_outs)
    assert read_id == dataset_id and read_outs["name"] == "Edited in the UI"
    read_id, _, _ = host.read("job", "export", job.id, job.outs)
    assert read_id == job.id

    # Destroy: job first (it depends on the dataset), then the dataset.
    host.delete("job", "export", job.id, job.outs)
    host.delete("dataset", "target", dataset_id, ds_outs)
    assert live_sandbox.state() == {"datasets": {}, "jobs": {}}
    gone_id, _, _ = host.read("dataset", "target", dataset_id, ds_outs)
    assert gone_id == ""


def test_failing_job_fails_create_cleanly(host: ProviderHost, live_sandbox: SandboxHandle) -> None:
    dataset_id, _ = up_dataset(host)
    inputs, _ = host.check(
        "job", "bad", {"dataset_id": dataset_id, "fields": ["_sandbox.fail.now"]}
    )
    with pytest.raises(grpc.RpcError) as info:
        host.create("job", "bad", inputs)
    details = info.value.details() or ""
    # AEP's message alone: no traceback (nor the exception class it used to end with).
    assert details.startswith("export job ") and "Traceback" not in details
    assert "[0090000009]" in details and "cancelled and deleted" in details
    assert 'File "' not in details, "no trace at all"
    assert live_sandbox.state()["jobs"] == {}


def test_wait_deadline_fails_create_and_cancels(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    dataset_id, _ = up_dataset(host)
    live_sandbox.app.config.job_duration = 60
    inputs, _ = host.check("job", "slow", {"dataset_id": dataset_id, "wait_timeout_seconds": 0.5})
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        host.create("job", "slow", inputs)
    assert time.monotonic() - started < 10
    assert "wait_timeout_seconds" in (info.value.details() or "")
    assert live_sandbox.state()["jobs"] == {}


def test_refresh_of_a_failed_job_then_replace(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    dataset_id, _ = up_dataset(host)
    inputs, _ = host.check(
        "job",
        "nowait",
        {"dataset_id": dataset_id, "fields": ["_sandbox.fail"], "wait_for_completion": False},
    )
    job = host.create("job", "nowait", inputs)
    assert job.outs["status"] == "NEW"
    time.sleep(0.6)
    _, refreshed, _ = host.read("job", "nowait", job.id, job.outs)
    assert refreshed["status"] == "FAILED" and refreshed["errors"][0]["code"] == "0090000009"
    diff = host.diff("job", "nowait", job.id, refreshed, inputs)
    assert "status" in diff.replaces


def test_get_adopts_existing_objects_by_id(host: ProviderHost, live_sandbox: SandboxHandle) -> None:
    dataset_id, _ = up_dataset(host, tags={"team": ["growth"]})
    inputs, _ = host.check("job", "export", {"dataset_id": dataset_id, **JOB})
    job = host.create("job", "export", inputs)
    read_id, outs, adopted_inputs = host.read("dataset", "adopted", dataset_id, {}, as_get=True)
    assert (
        read_id == dataset_id
        and adopted_inputs["name"] == "Profile Data Export"
        and adopted_inputs["tags"] == {"team": ["growth"]}
    )
    read_id, outs, adopted_inputs = host.read("job", "adopted-job", job.id, {}, as_get=True)
    assert read_id == job.id and outs["batch_id"] == job.outs["batch_id"]
    # Only what AEP's record shows: it does not echo fields, filter or additionalFields.
    assert adopted_inputs["dataset_id"] == dataset_id and "fields" not in adopted_inputs


@requires_specs
def test_every_sandbox_response_conformed_to_the_specs(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    dataset_id, _ = up_dataset(host)
    inputs, _ = host.check(
        "job",
        "export",
        {
            "dataset_id": dataset_id,
            **JOB,
            "segments": [{"segment_id": "s1"}, {"segment_id": "s2"}],
            "segment_per_batch": True,
        },
    )
    job = host.create("job", "export", inputs)
    assert len(job.outs["batches"]) == 2
    assert live_sandbox.app.violations == []


def test_many_jobs_finish_together_through_the_host(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    """8 jobs submitted at once without waiting, then one ProfileExportWait: about one job's time.

    Had the creates blocked, the host's 4 threads would need two job durations for 8 jobs before
    the wait even started; the bound sits there, with a whole job duration of slack for a busy CI
    machine (a tighter bound flaked at 3.05 s for 3.0 s on a loaded runner).
    """
    from concurrent.futures import ThreadPoolExecutor

    job_duration = 3.0
    live_sandbox.app.config.job_duration = job_duration
    dataset_id, _ = up_dataset(host)
    started = time.monotonic()

    def submit(i: int) -> tuple[str, str]:
        inputs, _ = host.check(
            "job",
            f"j{i}",
            {
                "dataset_id": dataset_id,
                "fields": ["identities.id"],
                "triggers": [i],
                "wait_for_completion": False,
            },
        )
        created = host.create("job", f"j{i}", inputs)
        return created.id, created.outs["status"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        submitted = list(pool.map(submit, range(8)))
    ids = [job_id for job_id, _ in submitted]
    assert {status for _, status in submitted} <= {"NEW", "PROCESSING"}, "creates returned early"
    inputs, failures = host.check("wait", "all", {"job_ids": ids})
    assert failures == []
    done = host.create("wait", "all", inputs)
    elapsed = time.monotonic() - started
    assert set(done.outs["statuses"].values()) == {"SUCCEEDED"} and len(done.outs["batch_ids"]) == 8
    assert elapsed < job_duration * 2, f"8 jobs of {job_duration} s took {elapsed:.1f} s"


def test_only_datasets_older_than_the_run_are_searched_for_interrupted_jobs(
    live_sandbox: SandboxHandle,
) -> None:
    """A first deploy (dataset and job in one run) submits without listing the sandbox's jobs;
    the next run, in a new provider process, looks for jobs an interrupted run left behind."""
    from aep_pulumi.testing import provider_host_for

    def job_calls(since: int) -> list[tuple[str, str]]:
        return [
            (e["method"], e["path"])
            for e in live_sandbox.app.request_log[since:]
            if "/export/jobs" in e["path"]
        ]

    job = {"fields": ["identities.id"], "wait_for_completion": False}
    with provider_host_for(live_sandbox) as first_up:
        dataset_id, _ = up_dataset(first_up)
        since = len(live_sandbox.app.request_log)
        inputs, _ = first_up.check("job", "export", {"dataset_id": dataset_id, **job})
        first_up.create("job", "export", inputs)
        assert job_calls(since) == [("POST", "/data/core/ups/export/jobs")]
    with provider_host_for(live_sandbox) as next_up:
        since = len(live_sandbox.app.request_log)
        inputs, _ = next_up.check(
            "job", "again", {"dataset_id": dataset_id, **job, "triggers": [1]}
        )
        next_up.create("job", "again", inputs)
        calls = job_calls(since)
        assert calls[0] == ("GET", "/data/core/ups/export/jobs") and calls[-1][0] == "POST", calls


def test_the_dynamic_host_runs_four_operations_at_once(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    """Pulumi's dynamic provider host has 4 worker threads (DESIGN §3; the README's door table):
    8 waiting creates of 3 s jobs sent at once reach AEP as 4 POSTs, then 4 more once jobs end.
    Asserted on the order of AEP's requests, which a loaded machine cannot reorder."""
    from concurrent.futures import ThreadPoolExecutor

    duration = 3.0
    live_sandbox.app.config.job_duration = duration
    dataset_id, _ = up_dataset(host)
    inputs, _ = host.check("job", "j", {"dataset_id": dataset_id, "fields": ["identities.id"]})
    since = len(live_sandbox.app.request_log)

    def create(i: int) -> str:
        return host.create("job", f"j{i}", {**inputs, "triggers": [str(i)]}).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(8)))
    assert len(set(ids)) == 8
    posts = sorted(
        entry["at"]
        for entry in live_sandbox.app.request_log[since:]
        if entry["method"] == "POST" and entry["path"].endswith("/export/jobs")
    )
    assert len(posts) == 8
    assert posts[3] - posts[0] < duration, "the first four went out together"
    assert posts[4] - posts[0] >= duration * 0.9, "the fifth waited for a thread"
