"""Finding the job a lost create made: candidates, siblings of the same run, creates in flight."""

from __future__ import annotations

import threading
import time

import pytest

from aep_pulumi.core.inputs import check_export_job_inputs
from aep_pulumi.core.payloads import export_job_request
from aep_pulumi.core.reconcile import find_submitted_job
from aep_pulumi.core.registries import JobRegistry
from aep_pulumi.errors import AepOwnershipError
from aep_pulumi.testing import SandboxHandle


def _submit(sandbox: SandboxHandle, dataset: str, **props: object) -> tuple[dict, int]:
    inputs, _ = check_export_job_inputs(
        {"dataset_id": dataset, "fields": ["identities.id"], **props}
    )
    body = export_job_request(inputs)
    return body.to_api(), sandbox.client().create_export_job(body).id


@pytest.fixture
def dataset(aep_sandbox_inprocess: SandboxHandle) -> str:
    # The search's matching, not the listing's lag (the reliability scenarios cover that).
    aep_sandbox_inprocess.app.config.listing_lag = 0
    return aep_sandbox_inprocess.app.store.create_dataset(
        "prod", {"name": "d", "schemaRef": {"id": "x"}}, "o", "c"
    )


def test_one_look_alike_is_adopted_unless_another_create_is_in_flight(
    aep_sandbox_inprocess: SandboxHandle, dataset: str
) -> None:
    since = int(time.time() * 1000) - 2000
    body, job_id = _submit(aep_sandbox_inprocess, dataset)
    client = aep_sandbox_inprocess.client()
    found = find_submitted_job(client, body, "prod", since)
    assert found is not None and found.id == job_id
    with pytest.raises(AepOwnershipError, match=f"export job {job_id}"):
        find_submitted_job(client, body, "prod", since, others_in_flight=True)


def test_jobs_this_process_owns_are_never_candidates(
    aep_sandbox_inprocess: SandboxHandle, dataset: str
) -> None:
    since = int(time.time() * 1000) - 2000
    body, sibling = _submit(aep_sandbox_inprocess, dataset, segments=[{"segment_id": "vip"}])
    client = aep_sandbox_inprocess.client()
    # Unechoed, the VIP sibling looks like an all-profiles request...
    all_profiles, _ = check_export_job_inputs({"dataset_id": dataset, "fields": ["identities.id"]})
    request = export_job_request(all_profiles).to_api()
    assert find_submitted_job(client, request, "prod", since) is not None
    # ...but a job this provider process created is not another resource's to adopt.
    assert find_submitted_job(client, request, "prod", since, exclude={sibling}) is None
    del body


def test_two_look_alikes_are_refused_with_their_ids(
    aep_sandbox_inprocess: SandboxHandle, dataset: str
) -> None:
    since = int(time.time() * 1000) - 2000
    body, first = _submit(aep_sandbox_inprocess, dataset)
    _, second = _submit(aep_sandbox_inprocess, dataset)
    with pytest.raises(AepOwnershipError) as raised:
        find_submitted_job(aep_sandbox_inprocess.client(), body, "prod", since)
    assert f"{first} (" in str(raised.value) and f"{second} (" in str(raised.value)
    assert "not submitted again" in str(raised.value)


def test_the_registry_waits_for_other_submits_to_the_same_dataset() -> None:
    registry = JobRegistry()
    release = threading.Event()

    def other_submit() -> None:
        with registry.submitting("prod", "ds"):
            release.wait(5)

    thread = threading.Thread(target=other_submit)
    thread.start()
    time.sleep(0.05)
    assert registry.wait_for_other_submits("prod", "ds", 0.1) is False
    assert registry.wait_for_other_submits("prod", "other-dataset", 0.1) is True
    release.set()
    assert registry.wait_for_other_submits("prod", "ds", 5) is True
    thread.join()
    registry.claim("prod", 7)
    assert registry.claimed("prod") == {7} and registry.claimed("dev") == set()
