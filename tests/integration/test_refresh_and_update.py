"""Refresh and in-place updates through the provider host: the paths where users get hurt."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.provider_host import ProviderHost

pytestmark = pytest.mark.integration


def test_an_update_whose_job_vanishes_while_waiting_fails_like_create(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    inputs, _ = host.check("dataset", "t", {"name": "t"})
    dataset_id = host.create("dataset", "t", inputs).id
    live_sandbox.app.config.job_duration = 3
    props = {"dataset_id": dataset_id, "fields": ["identities.id"], "wait_for_completion": False}
    olds_in, _ = host.check("job", "j", props)
    job = host.create("job", "j", olds_in)
    news, _ = host.check("job", "j", {**props, "wait_for_completion": True})
    assert list(host.diff("job", "j", job.id, job.outs, news).replaces) == []
    threading.Timer(0.4, lambda: live_sandbox.app.store.delete_job("prod", int(job.id))).start()
    with pytest.raises(grpc.RpcError) as raised:
        host.update("job", "j", job.id, job.outs, news)
    assert f"export job {job.id} disappeared from AEP" in (raised.value.details() or "")


def test_empty_tags_give_no_diff_after_a_refresh(host: ProviderHost) -> None:
    inputs, failures = host.check("dataset", "t", {"name": "t", "tags": {}})
    assert failures == []
    created = host.create("dataset", "t", inputs)
    _, refreshed, _ = host.read("dataset", "t", created.id, created.outs)
    diff = host.diff("dataset", "t", created.id, refreshed, inputs)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_updating_a_dataset_deleted_outside_pulumi_says_to_refresh(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    inputs, _ = host.check("dataset", "t", {"name": "t"})
    created = host.create("dataset", "t", inputs)
    live_sandbox.app.store.delete_dataset("prod", created.id)
    news, _ = host.check("dataset", "t", {"name": "renamed"})
    with pytest.raises(grpc.RpcError) as raised:
        host.update("dataset", "t", created.id, created.outs, news)
    details = raised.value.details() or ""
    assert "HTTP 404" in details and "pulumi refresh" in details


def test_a_batched_job_refreshed_after_it_ran_is_not_re_exported(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    inputs, _ = host.check("dataset", "t", {"name": "t"})
    dataset_id = host.create("dataset", "t", inputs).id
    props = {"dataset_id": dataset_id, "wait_for_completion": False}
    job_in, _ = host.check("job", "j", props)
    job = host.create("job", "j", job_in)
    time.sleep(0.6)
    assert job.outs.get("files") is None, "not finished yet: no files"
    _, refreshed, _ = host.read("job", "j", job.id, job.outs)
    assert refreshed["status"] == "SUCCEEDED"
    assert refreshed["files"] and refreshed["files"][0]["batch_id"] == job.outs["batch_id"]
    assert host.diff("job", "j", job.id, refreshed, job_in).changes == (
        provider_pb2.DiffResponse.DIFF_NONE
    )


def test_report_files_can_be_turned_off_and_on_in_place(host: ProviderHost) -> None:
    inputs, _ = host.check("dataset", "t", {"name": "t"})
    dataset_id = host.create("dataset", "t", inputs).id
    props = {"dataset_id": dataset_id, "report_files": False}
    job_in, _ = host.check("job", "j", props)
    job = host.create("job", "j", job_in)
    assert job.outs.get("files") is None and job.outs["status"] == "SUCCEEDED"
    on, _ = host.check("job", "j", {**props, "report_files": True})
    diff = host.diff("job", "j", job.id, job.outs, on)
    assert list(diff.replaces) == [] and diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    updated = host.update("job", "j", job.id, job.outs, on)
    assert updated["files"] and updated["report_files"] is True
    off, _ = host.check("job", "j", props)
    assert host.update("job", "j", job.id, updated, off).get("files") is None


def test_a_failed_refresh_names_the_configuration_it_ran_with_and_no_traceback(
    host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    """A refresh configures the provider from the state's default-provider entry (the last
    `up`'s config): the error says which values it ran with, and how to run on the current
    config; never the secret, never the host's traceback."""
    inputs, _ = host.check("dataset", "t", {"name": "t"})
    created = host.create("dataset", "t", inputs)
    secret = "wrong-but-secret-value"
    stale = ProviderHost({"AEP_IMS_ENDPOINT": live_sandbox.url, "AEP_MAX_RETRIES": "0"})
    said: dict[str, str] = {}
    try:
        stale.configure(
            {
                "aep:endpoint": "http://127.0.0.1:9/",
                "aep:orgId": "STALE@AdobeOrg",
                "aep:clientId": "stale-client",
                "aep:clientSecret": secret,
            }
        )
        for operation in ("read", "delete"):
            with pytest.raises(grpc.RpcError) as raised:
                getattr(stale, operation)("dataset", "t", created.id, created.outs)
            said[operation] = raised.value.details() or ""
    finally:
        stale.close()
    ran_with = (
        "The provider ran with aep:endpoint=http://127.0.0.1:9/ (config), "
        f"aep:imsEndpoint={live_sandbox.url} (env AEP_IMS_ENDPOINT), "
        "aep:orgId=STALE@AdobeOrg (config), aep:sandboxName=prod (default), "
        "aep:clientId=stale-client (config), aep:clientSecret set (config), "
        "aep:accessToken not set. "
    )
    for details in said.values():
        assert "Traceback" not in details and 'File "' not in details, details
        assert secret not in details and ran_with in details, details
    assert said["read"].startswith(f"get dataset {created.id}: "), said["read"]
    assert "run `pulumi refresh --run-program` or a plain `pulumi up` first" in said["read"]
    assert said["delete"].startswith(f"delete dataset {created.id}: "), said["delete"]
    assert "run a plain `pulumi up` first" in said["delete"]
    assert created.id in live_sandbox.state()["datasets"], "the stale delete changed nothing"
