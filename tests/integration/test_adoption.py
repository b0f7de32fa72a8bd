"""A job adopted by id (import, `.get()`): what its AEP record does not tell (fields, the event
list, triggers...) is filled from the program in place when the job's claim confirms the
request, so adopting never exports again; through both doors' gRPC hosts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from aep_pulumi.testing import NativeHost, SandboxHandle, native_host_for, provider_host_for
from aep_pulumi.testing.provider_host import ProviderHost

from ..conftest import GUIDE_JOB, aep_headers

Host = ProviderHost | NativeHost


@pytest.fixture(params=["dynamic", "native"], scope="module")
def door(request: pytest.FixtureRequest, live_sandbox: SandboxHandle) -> Iterator[Host]:
    opener = provider_host_for if request.param == "dynamic" else native_host_for
    with opener(live_sandbox) as host:
        yield host


def changes(host: Host, olds: dict[str, Any], news: dict[str, Any]) -> tuple[bool, list[str]]:
    checked, failures = host.check("job", "export", news)
    assert failures == []
    diff = host.diff("job", "export", str(int(olds["job_id"])), olds, checked)
    # Each door's spelling (the native one is camelCase) read as the core's.
    replaces = [re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), r) for r in diff.replaces]
    return diff.changes == diff.DiffChanges.Value("DIFF_SOME"), sorted(replaces)


def made_dataset(host: Host) -> str:
    inputs, _ = host.check("dataset", "target", {"name": "adoption"})
    return host.create("dataset", "target", inputs).id


def test_an_adopted_job_of_ours_takes_the_programs_inputs_in_place(door: Host) -> None:
    dataset_id = made_dataset(door)
    program = {"dataset_id": dataset_id, **GUIDE_JOB, "triggers": ["1"]}
    inputs, _ = door.check("job", "export", {**program, "owner": "org/p/s/export"})
    job_id = door.create("job", "export", inputs).id

    _, adopted, _ = door.read("job", "export", job_id, {}, as_get=True)
    assert adopted.get("fields") is None, "AEP's record does not tell the fields"
    assert adopted["adopted_request"], "the claim's request is kept to check the program by"
    _, refreshed, _ = door.read("job", "export", job_id, adopted)
    assert refreshed == adopted, "a refresh of the adopted job changes nothing (the mark stays)"

    changed, replaces = changes(door, adopted, program)
    assert changed and replaces == [], "the same request: filled in place, not exported again"
    other = {**program, "fields": ["identities.id"]}
    assert "fields" in changes(door, adopted, other)[1], "another request: a new export"
    assert "triggers" in changes(door, adopted, {**program, "triggers": ["2"]})[1]

    checked, _ = door.check("job", "export", program)
    updated = door.update("job", "export", job_id, adopted, checked)
    assert updated["fields"] == GUIDE_JOB["fields"] and updated["triggers"] == ["1"]
    assert "adopted_request" not in updated
    assert changes(door, updated, program) == (False, [])


def test_a_job_made_outside_pulumi_takes_the_programs_inputs_with_a_warning(
    door: Host, live_sandbox: SandboxHandle
) -> None:
    dataset_id = made_dataset(door)
    job = requests.post(
        f"{live_sandbox.url}/data/core/ups/export/jobs",
        json={
            "fields": "identities.id",
            "mergePolicy": {"id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", "version": 1},
            "destination": {"datasetId": dataset_id, "segmentPerBatch": False},
            "schema": {"name": "_xdm.context.profile"},
        },
        headers=aep_headers(live_sandbox),
        timeout=5,
    ).json()
    _, adopted, _ = door.read("job", "export", str(job["id"]), {}, as_get=True)
    assert adopted["adopted_request"] == ""
    program = {
        "dataset_id": dataset_id,
        "fields": ["identities.id"],
        "merge_policy": {"id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", "version": 1},
    }
    assert changes(door, adopted, program) == (True, [])
    assert f"export job {job['id']} was adopted by id" in door.log_text()
    # What the record does tell still replaces when it differs.
    moved = {**program, "merge_policy": {"id": "timestampOrdered-none-mp", "version": 1}}
    assert "merge_policy" in changes(door, adopted, moved)[1]
