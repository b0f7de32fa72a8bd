"""ProfileExportWait called directly: one poller for many jobs, same failure semantics."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from aep_pulumi.errors import AepJobFailedError, AepWaitTimeoutError
from aep_pulumi.providers import (
    DatasetProvider,
    ProfileExportJobProvider,
    ProfileExportWaitProvider,
)
from aep_pulumi.testing import SandboxHandle


@pytest.fixture
def sandbox(aep_sandbox_inprocess: SandboxHandle) -> SandboxHandle:
    return aep_sandbox_inprocess.use()


def submit(count: int, **extra: Any) -> list[str]:
    dataset = DatasetProvider().create({"name": "many"})
    provider = ProfileExportJobProvider()
    ids = []
    for n in range(count):
        inputs = provider.check(
            {},
            {
                "dataset_id": dataset.id,
                "fields": ["identities.id"],
                "segments": [{"segment_id": f"s{n}"}],
                "wait_for_completion": False,
                **extra,
            },
        ).inputs
        ids.append(provider.create(inputs).id)
    return ids


def test_waits_for_all_jobs_with_one_listing_per_round(sandbox: SandboxHandle) -> None:
    """Rounds with two or more pending jobs are one listing each; a GET only ever reads a job
    left pending on its own (cheaper than a page). The jobs end a few ms apart, so how many
    rounds end with one job pending varies; the rule does not."""
    sandbox.app.config.listing_lag = 0  # the listing is current: nothing needs reading by id
    ids = submit(6)
    before = len(sandbox.app.request_log)
    result = ProfileExportWaitProvider().create({"job_ids": ids})
    outs = result.outs or {}
    assert set(outs["statuses"].values()) == {"SUCCEEDED"} and set(outs["statuses"]) == set(ids)
    assert all(outs["batch_ids"][i] for i in ids)
    # Not counted: IMS, and the claim keeper's second look at the dataset's claims.
    calls = [
        p["path"]
        for p in sandbox.app.request_log[before:]
        if not p["path"].startswith("/ims/") and "/dataSets/" not in p["path"]
    ]
    polls = [p for p in calls if p.startswith("/data/core/ups/export/jobs")]
    listings = [i for i, p in enumerate(polls) if p == "/data/core/ups/export/jobs"]
    gets = [(i, p.rsplit("/", 1)[-1]) for i, p in enumerate(polls) if i not in listings]
    assert listings and listings == list(range(len(listings))), "listings first, then GETs"
    assert len({job for _, job in gets}) <= 1 and {job for _, job in gets} <= set(ids), (
        "a GET only for the one job left pending"
    )
    # Then each job's files: one listing of its batch, one of its one file.
    assert len(calls) - len(polls) == 2 * 6 and set(outs["files"]) == set(ids)
    assert sandbox.app.violations == []


def test_failed_jobs_fail_the_wait_and_stay_for_refresh(sandbox: SandboxHandle) -> None:
    ids = submit(2) + submit(1, fields=["_sandbox.fail"])
    with pytest.raises(AepJobFailedError) as info:
        ProfileExportWaitProvider().create({"job_ids": ids})
    text = str(info.value)
    assert f"job {ids[2]}: [0090000009]" in text and "1 of 3" in text and "--refresh" in text
    assert sandbox.state()["jobs"][ids[2]]["status"] == "FAILED"


def test_deadline_cancels_the_unfinished_jobs(sandbox: SandboxHandle) -> None:
    sandbox.app.config.job_duration = 30
    ids = submit(3)
    with pytest.raises(AepWaitTimeoutError, match="3 export job"):
        ProfileExportWaitProvider().create({"job_ids": ids, "timeout_seconds": 0.3})
    assert sandbox.state()["jobs"] == {}


def test_check_and_diff() -> None:
    provider = ProfileExportWaitProvider()
    assert dict((f.property, f.reason) for f in provider.check({}, {}).failures)[
        "job_ids"
    ].startswith("is required")
    bad = provider.check({}, {"job_ids": ["12", "x/1"]}).failures
    assert [f.property for f in bad] == ["job_ids[1]"]
    assert provider.check({}, {"job_ids": [Unknown(), 5.0]}).failures == []
    olds = {
        "job_ids": ["1", "2"],
        "timeout_seconds": 3600,
        "sandbox_name": "prod",
        "statuses": {"1": "SUCCEEDED", "2": "SUCCEEDED"},
    }
    assert provider.diff("1,2", olds, {"job_ids": ["2", "1"]}).changes is False
    assert provider.diff("1,2", olds, {"job_ids": ["1", "3"]}).replaces == ["job_ids"]
    assert provider.diff("1,2", olds, {"job_ids": [Unknown(), "2"]}).replaces == ["job_ids"]
    # A finished wait has nothing left for a new timeout to govern: no change, outputs stay known.
    longer = {"job_ids": ["1", "2"], "timeout_seconds": 7200}
    assert provider.diff("1,2", olds, longer).changes is False
    running = {**olds, "statuses": {"1": "SUCCEEDED", "2": "PROCESSING"}}
    assert provider.diff("1,2", running, longer).replaces == ["statuses"]


def test_throttled_polls_slow_down_instead_of_failing(
    sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from aep_pulumi.sandbox import ScriptedFault

    ids = submit(3)
    monkeypatch.setenv("AEP_MAX_RETRIES", "0")
    sandbox.app.faults.add(
        ScriptedFault(
            "throttle", method="GET", path_contains="/export/jobs", times=2, retry_after_ms=10
        )
    )
    result = ProfileExportWaitProvider().create({"job_ids": ids})
    assert set((result.outs or {})["statuses"].values()) == {"SUCCEEDED"}
    assert "polling less often" in capfd.readouterr().err


def test_files_are_listed_as_jobs_finish_not_after_the_last(sandbox: SandboxHandle) -> None:
    """A job that finishes early has its files listed while the wait goes on for the others."""
    import time

    sandbox.app.config.job_duration = 0.3
    early = submit(1)
    time.sleep(0.1)
    sandbox.app.config.job_duration = 2.5
    late = submit(1)
    result = ProfileExportWaitProvider().create({"job_ids": early + late})
    outs = result.outs or {}
    assert set(outs["files"]) == {*early, *late} and all(outs["files"].values())
    early_batch = outs["batch_ids"][early[0]]
    listed_at = next(
        e["at"]
        for e in sandbox.app.request_log
        if e["path"] == f"/data/foundation/export/batches/{early_batch}/files"
    )
    assert listed_at < sandbox.app.store.job_ends_at("prod", int(late[0]))


def test_a_refresh_keeps_the_status_of_a_job_aep_forgot(sandbox: SandboxHandle) -> None:
    """AEP forgets finished jobs after a while: a refresh of the wait keeps what it saw (the
    export happened) and reads the others as they are, rather than failing `pulumi refresh`."""
    ids = submit(2)
    provider = ProfileExportWaitProvider()
    done = provider.create({"job_ids": ids})
    sandbox.app.store.forget_job("prod", int(ids[0]))
    refreshed = provider.read(done.id, done.outs or {})
    assert refreshed.id == done.id
    assert (refreshed.outs or {})["statuses"] == {ids[0]: "SUCCEEDED", ids[1]: "SUCCEEDED"}
