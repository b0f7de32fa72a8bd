"""Finding the job a lost create made: candidates, and jobs this process holds."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aep_pulumi.aep.models import ExportJob
from aep_pulumi.core.export_job.claims import LostAnswer
from aep_pulumi.core.export_job.lost_answer import jobs_since, look_alikes, unclaimed_look_alikes
from aep_pulumi.core.inputs import check_export_job_inputs
from aep_pulumi.core.payloads import export_job_request
from aep_pulumi.core.registries import JobRegistry
from aep_pulumi.testing import SandboxHandle


def _found(
    sandbox: SandboxHandle, body: dict[str, Any], since: int, exclude: set[int] | None = None
) -> list[ExportJob]:
    jobs = jobs_since(sandbox.client(), "prod", since)
    return [job for job, _, _ in look_alikes(jobs, body, exclude=exclude or set())]


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


def test_one_look_alike_is_found(aep_sandbox_inprocess: SandboxHandle, dataset: str) -> None:
    since = int(time.time() * 1000) - 2000
    body, job_id = _submit(aep_sandbox_inprocess, dataset)
    assert [job.id for job in _found(aep_sandbox_inprocess, body, since)] == [job_id]


def test_jobs_this_process_owns_are_never_candidates(
    aep_sandbox_inprocess: SandboxHandle, dataset: str
) -> None:
    since = int(time.time() * 1000) - 2000
    _, sibling = _submit(aep_sandbox_inprocess, dataset, segments=[{"segment_id": "vip"}])
    # Unechoed, the VIP sibling looks like an all-profiles request...
    all_profiles, _ = check_export_job_inputs({"dataset_id": dataset, "fields": ["identities.id"]})
    request = export_job_request(all_profiles).to_api()
    assert _found(aep_sandbox_inprocess, request, since) != []
    # ...but a job this provider process created is not another resource's to adopt.
    assert _found(aep_sandbox_inprocess, request, since, exclude={sibling}) == []


def test_two_look_alikes_are_refused_with_their_ids_and_none_is_to_be_cancelled(
    aep_sandbox_inprocess: SandboxHandle, dataset: str
) -> None:
    since = int(time.time() * 1000) - 2000
    body, first = _submit(aep_sandbox_inprocess, dataset)
    _, second = _submit(aep_sandbox_inprocess, dataset)
    found = _found(aep_sandbox_inprocess, body, since)
    theirs = [LostAnswer("aep-pulumi/lost-1", "p/other/export", "abc", since)]
    message = str(unclaimed_look_alikes([(job, "same") for job in found], None, theirs))
    assert f"{first} (" in message and f"{second} (" in message
    assert "not submitted again" in message
    # Another stack's lost answer may own one of them: never advise cancelling "the others".
    assert "p/other/export" in message and "cancel the others" not in message


def test_the_registry_knows_the_jobs_of_each_sandbox() -> None:
    registry = JobRegistry()
    registry.claim("prod", 7)
    assert registry.claimed("prod") == {7} and registry.claimed("dev") == set()
    assert registry.sandboxes_of(7) == {"prod"}
