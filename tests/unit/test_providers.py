"""Providers called directly, against the sandbox app routed in-process through `responses`."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.output import Unknown

from aep_pulumi.errors import AepConfigError, AepJobFailedError, AepWaitTimeoutError
from aep_pulumi.providers import DatasetProvider, ProfileExportJobProvider
from aep_pulumi.testing import SandboxHandle

from ..conftest import GUIDE_JOB


@pytest.fixture
def sandbox(aep_sandbox_inprocess: SandboxHandle) -> SandboxHandle:
    return aep_sandbox_inprocess.use()


def make_dataset(
    name: str = "Profile Data Export", **extra: Any
) -> tuple[DatasetProvider, str, dict[str, Any]]:
    provider = DatasetProvider()
    inputs = provider.check({}, {"name": name, **extra}).inputs
    result = provider.create(inputs)
    assert result.outs is not None
    return provider, result.id, result.outs


def job_inputs(dataset_id: str, **extra: Any) -> dict[str, Any]:
    check = ProfileExportJobProvider().check({}, {"dataset_id": dataset_id, **GUIDE_JOB, **extra})
    assert check.failures == []
    return check.inputs


# ---------------------------------------------------------------- configuration


def test_configure_reads_pulumi_config_before_env(sandbox: SandboxHandle) -> None:
    provider = DatasetProvider()
    provider.configure(
        ConfigureRequest(Config({"aep:sandboxName": "dev", "aep:orgId": "CFG@AdobeOrg"}, "proj"))
    )
    settings = provider.context().settings()
    assert settings.sandbox_name == "dev" and settings.org_id == "CFG@AdobeOrg"
    assert settings.endpoint == sandbox.url, "the rest comes from the environment"


def test_missing_credentials_fail_create_with_the_key_name(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = DatasetProvider()
    with pytest.raises(AepConfigError, match="aep:orgId"):
        provider.create({"name": "x"})


# ---------------------------------------------------------------- Dataset


def test_dataset_create_reads_back_and_exists(sandbox: SandboxHandle) -> None:
    _, dataset_id, outs = make_dataset(tags={"team": ["growth"]})
    assert outs["dataset_id"] == dataset_id and isinstance(outs["created"], int)
    assert outs["schema_id"] == "https://ns.adobe.com/xdm/context/profile__union"
    assert outs["sandbox_name"] == "prod"
    live = sandbox.state()["datasets"]
    assert list(live) == [dataset_id] and live[dataset_id]["name"] == "Profile Data Export"
    tags = live[dataset_id]["tags"]
    assert tags["team"] == ["growth"] and len(tags["aep-pulumi/createToken"][0]) == 32
    assert outs["tags"] == {"team": ["growth"]}, "the provider's own tag is not an input"
    assert sandbox.app.violations == []


def test_dataset_diff_update_in_place_vs_replace(sandbox: SandboxHandle) -> None:
    provider, _, outs = make_dataset()
    same = provider.diff("x", outs, {"name": "Profile Data Export"})
    assert same.changes is False and same.replaces == []
    renamed = provider.diff("x", outs, {"name": "Renamed", "tags": {"a": ["b"]}})
    assert renamed.changes is True and renamed.replaces == []
    reschema = provider.diff(
        "x", outs, {"name": "Profile Data Export", "schema_id": "https://ns.adobe.com/other"}
    )
    assert reschema.replaces == ["schema_id"]
    moved = provider.diff("x", outs, {"name": "Profile Data Export", "sandbox_name": "dev"})
    assert moved.replaces == ["sandbox_name"]
    preview = provider.diff("x", outs, {"name": Unknown()})
    assert preview.changes is True


def test_dataset_update_patches_and_keeps_foreign_tags(sandbox: SandboxHandle) -> None:
    provider, dataset_id, outs = make_dataset(tags={"team": ["growth"]})
    # Another tool (or AEP itself) tags the dataset out of band.
    sandbox.app.store.patch_dataset(
        "prod", dataset_id, {"tags": {"team": ["growth"], "adobe/pqs/table": ["t1"]}}
    )
    news = provider.check(
        outs, {"name": "Renamed", "description": "d", "tags": {"owner": ["me"]}}
    ).inputs
    result = provider.update(dataset_id, outs, news)
    assert result.outs is not None
    assert result.outs["name"] == "Renamed" and result.outs["updated"] >= outs["updated"]
    live = sandbox.app.store.space("prod").datasets[dataset_id]
    assert live["tags"] == {"adobe/pqs/table": ["t1"], "owner": ["me"]}
    assert live["description"] == "d"


def test_dataset_read_refreshes_and_reports_gone(sandbox: SandboxHandle) -> None:
    provider, dataset_id, outs = make_dataset(tags={"team": ["growth"]})
    sandbox.app.store.patch_dataset(
        "prod", dataset_id, {"name": "Changed elsewhere", "tags": {"team": ["x"], "adobe/y": ["z"]}}
    )
    read = provider.read(dataset_id, outs)
    assert read.id == dataset_id and read.outs is not None
    assert read.outs["name"] == "Changed elsewhere" and read.outs["tags"] == {"team": ["x"]}
    assert read.inputs is None, "refresh keeps the program's inputs"
    sandbox.app.store.delete_dataset("prod", dataset_id)
    gone = provider.read(dataset_id, outs)
    assert (gone.id, gone.outs) == ("", {})


def test_dataset_adoption_by_id_returns_inputs(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset("adopt me", tags={"team": ["a"]})
    read = DatasetProvider().read(dataset_id, {})
    assert (
        read.inputs is not None
        and read.inputs["name"] == "adopt me"
        and read.inputs["tags"] == {"team": ["a"]}
    )
    assert read.outs is not None and read.outs["dataset_id"] == dataset_id


def test_dataset_delete_is_idempotent(sandbox: SandboxHandle) -> None:
    provider, dataset_id, outs = make_dataset()
    provider.delete(dataset_id, outs)
    provider.delete(dataset_id, outs)
    assert sandbox.state()["datasets"] == {}


def test_dataset_sandbox_name_isolates(sandbox: SandboxHandle) -> None:
    _, dataset_id, outs = make_dataset(sandbox_name="dev")
    assert outs["sandbox_name"] == "dev"
    assert (
        dataset_id in sandbox.state("dev")["datasets"] and sandbox.state("prod")["datasets"] == {}
    )


# ---------------------------------------------------------------- ProfileExportJob


def test_job_waits_for_success_and_reports_progress(
    sandbox: SandboxHandle, capfd: pytest.CaptureFixture[str]
) -> None:
    _, dataset_id, _ = make_dataset()
    result = ProfileExportJobProvider().create(job_inputs(dataset_id))
    outs = result.outs or {}
    assert outs["status"] == "SUCCEEDED" and result.id == str(outs["job_id"])
    assert (
        outs["batch_id"]
        and outs["errors"] == []
        and outs["metrics"]["totalTime"]["totalTimeInMs"] > 0
    )
    assert outs["fields"] == GUIDE_JOB["fields"] and outs["wait_for_completion"] is True
    err = capfd.readouterr().err
    assert f"info: export job {result.id} submitted" in err and "-> SUCCEEDED" in err
    job = sandbox.app.store.space("prod").jobs[int(result.id)]
    assert (
        job["_request"]["additionalFields"]["eventList"]["filter"]["fromIngestTimestamp"]
        == "2018-10-25T13:22:04-07:00"
    )
    assert sandbox.app.violations == []


def test_job_without_waiting_returns_batch_id_at_once(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset()
    sandbox.app.config.job_duration = 30
    result = ProfileExportJobProvider().create(job_inputs(dataset_id, wait_for_completion=False))
    outs = result.outs or {}
    assert outs["status"] == "NEW" and outs["batch_id"]


def test_failed_job_is_deleted_and_the_error_quotes_aep(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset()
    with pytest.raises(AepJobFailedError) as info:
        ProfileExportJobProvider().create(job_inputs(dataset_id, fields=["_sandbox.fail"]))
    text = str(info.value)
    assert (
        "FAILED" in text
        and "[0090000009]" in text
        and "Job aborted." in text
        and "cancelled and deleted" in text
    )
    assert sandbox.state()["jobs"] == {}, "nothing left behind"


def test_wait_deadline_cancels_the_job(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset()
    sandbox.app.config.job_duration = 30
    with pytest.raises(
        AepWaitTimeoutError, match=r"wait_timeout_seconds=0\.3.*cancelled and deleted"
    ):
        ProfileExportJobProvider().create(job_inputs(dataset_id, wait_timeout_seconds=0.3))
    assert sandbox.state()["jobs"] == {}


def test_unknown_status_is_logged_and_waited_through(
    sandbox: SandboxHandle, capfd: pytest.CaptureFixture[str]
) -> None:
    _, dataset_id, _ = make_dataset()
    result = ProfileExportJobProvider().create(job_inputs(dataset_id, fields=["_sandbox.odd"]))
    assert (result.outs or {})["status"] == "SUCCEEDED"
    assert "unknown status 'QUEUED_FOR_SPARK'" in capfd.readouterr().err


def test_job_diff_replaces_on_every_api_input_and_triggers(sandbox: SandboxHandle) -> None:
    provider = ProfileExportJobProvider()
    olds = {**job_inputs("d1"), "sandbox_name": "prod", "status": "SUCCEEDED"}
    assert provider.diff("1", olds, job_inputs("d1")).changes is False
    for change, key in [
        ({"fields": ["identities.id"]}, "fields"),
        ({"triggers": ["2024-06"]}, "triggers"),
        ({"merge_policy": {"id": "other"}}, "merge_policy"),
        ({"dataset_id": "d2"}, "dataset_id"),
        ({"segments": [{"segment_id": "s"}]}, "segments"),
    ]:
        news = {**job_inputs("d1"), **change}
        assert key in (provider.diff("1", olds, news).replaces or [])
    waiting = provider.diff("1", olds, {**job_inputs("d1"), "wait_timeout_seconds": 10})
    assert waiting.changes is True and waiting.replaces == []
    failed = provider.diff("1", {**olds, "status": "FAILED"}, job_inputs("d1"))
    assert failed.replaces == ["status"]
    preview = provider.diff("1", olds, {**job_inputs("d1"), "dataset_id": Unknown()})
    assert preview.replaces == ["dataset_id"]


def test_job_read_follows_live_status_and_judges_a_forgotten_job_by_its_batch(
    sandbox: SandboxHandle,
) -> None:
    _, dataset_id, _ = make_dataset()
    sandbox.app.config.job_duration = 0.2
    provider = ProfileExportJobProvider()
    created = provider.create(job_inputs(dataset_id, wait_for_completion=False))
    outs = created.outs or {}
    assert outs["status"] == "NEW"
    import time

    time.sleep(0.3)
    live = provider.read(created.id, outs)
    assert live.outs is not None and live.outs["status"] == "SUCCEEDED" and live.inputs is None
    sandbox.app.store.forget_job("prod", int(created.id))
    kept = provider.read(created.id, outs)
    assert kept.id == created.id and kept.outs is not None, "its batch succeeded: keep it"
    assert kept.outs["status"] == "SUCCEEDED" and kept.outs["batch_id"] == outs["batch_id"]

    sandbox.app.config.job_duration = 30
    running = provider.create(job_inputs(dataset_id, wait_for_completion=False, triggers=[2]))
    sandbox.app.store.delete_job("prod", int(running.id))  # cancelled: its batch is aborted
    gone = provider.read(running.id, running.outs or {})
    assert (gone.id, gone.outs) == ("", {}), "a job whose batch was aborted is gone"
    no_batch = provider.read(running.id, {**(running.outs or {}), "batch_id": None})
    assert (no_batch.id, no_batch.outs) == ("", {})


def test_job_adoption_reads_what_aep_reports(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset()
    created = ProfileExportJobProvider().create(job_inputs(dataset_id))
    read = ProfileExportJobProvider().read(created.id, {})
    assert read.inputs is not None
    assert read.inputs["dataset_id"] == dataset_id
    assert read.inputs["merge_policy"] == GUIDE_JOB["merge_policy"]
    # AEP's records do not echo fields, filter or additionalFields (nor does the sandbox).
    assert "fields" not in read.inputs and "event_list" not in read.inputs
    again = ProfileExportJobProvider().check({}, read.inputs)
    assert again.failures == []


def test_job_adoption_from_an_echoing_aep_recovers_every_input(sandbox: SandboxHandle) -> None:
    sandbox.app.config.echo_request = True
    _, dataset_id, _ = make_dataset()
    created = ProfileExportJobProvider().create(job_inputs(dataset_id))
    read = ProfileExportJobProvider().read(created.id, {})
    assert read.inputs is not None
    assert read.inputs["fields"] == GUIDE_JOB["fields"]
    assert read.inputs["event_list"] == GUIDE_JOB["event_list"]


def test_job_delete_cancels_and_tolerates_404(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset()
    sandbox.app.config.job_duration = 30
    provider = ProfileExportJobProvider()
    created = provider.create(job_inputs(dataset_id, wait_for_completion=False))
    provider.delete(created.id, created.outs or {})
    assert sandbox.state()["jobs"] == {}
    provider.delete(created.id, created.outs or {})


def test_segment_per_batch_reports_one_batch_per_segment(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset()
    segments = [
        {"segment_id": "seg-a", "segment_ns": "ups", "status": ["realized"]},
        {"segment_id": "seg-b"},
    ]
    result = ProfileExportJobProvider().create(
        job_inputs(dataset_id, segments=segments, segment_per_batch=True)
    )
    batches = (result.outs or {})["batches"]
    assert [b["segment_id"] for b in batches] == ["seg-a", "seg-b"] and all(
        b["batch_id"] for b in batches
    )
    assert sandbox.app.violations == []


def test_update_of_wait_settings_touches_nothing_in_aep(sandbox: SandboxHandle) -> None:
    _, dataset_id, _ = make_dataset()
    provider = ProfileExportJobProvider()
    created = provider.create(job_inputs(dataset_id))
    before = len(sandbox.app.request_log)
    updated = provider.update(
        created.id, created.outs or {}, job_inputs(dataset_id, wait_timeout_seconds=99)
    )
    assert (updated.outs or {})["wait_timeout_seconds"] == 99 and (updated.outs or {})[
        "status"
    ] == "SUCCEEDED"
    assert len(sandbox.app.request_log) == before


def test_direct_create_with_bad_inputs_is_a_clear_error(sandbox: SandboxHandle) -> None:
    from aep_pulumi.errors import AepError

    with pytest.raises(AepError, match=r"invalid ProfileExportJob inputs: dataset_id: is required"):
        ProfileExportJobProvider().create({"fields": ["a"]})
