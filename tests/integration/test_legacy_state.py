"""Stacks deployed with an earlier release keep working.

Every resource's state holds its provider pickled by reference
(``aep_pulumi.providers.dataset.DatasetProvider`` ...) and the state property names of that
release. ``tests/fixtures/legacy_state/b9e8c3a.json`` holds both, made by the code at commit
b9e8c3a (before the one-core refactor): the exact ``__provider`` strings its states carry, and the
outputs of a dataset, a job and a wait it created. Here today's code is driven through Pulumi's
provider host with those strings, for a whole lifecycle, and diffs those old states.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from aep_pulumi.testing import SandboxHandle
from aep_pulumi.testing.provider_host import ProviderHost

pytestmark = pytest.mark.integration

LEGACY = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "legacy_state" / "b9e8c3a.json").read_text()
)


@pytest.fixture
def legacy_host(host: ProviderHost) -> ProviderHost:
    """The module's provider host, sending the legacy ``__provider`` strings."""
    saved = dict(host.providers)
    host.providers.update(LEGACY["providers"])
    yield host  # type: ignore[misc]
    host.providers.update(saved)


def test_the_fixture_pickles_name_the_frozen_module_paths() -> None:
    import base64

    for kind, module in (
        ("dataset", b"aep_pulumi.providers.dataset"),
        ("job", b"aep_pulumi.providers.export_job"),
        ("wait", b"aep_pulumi.providers.export_wait"),
    ):
        assert module in base64.b64decode(LEGACY["providers"][kind])


def test_a_whole_lifecycle_with_the_legacy_pickles(
    legacy_host: ProviderHost, live_sandbox: SandboxHandle
) -> None:
    host = legacy_host
    ds_inputs, failures = host.check("dataset", "target", {"name": "legacy target"})
    assert failures == []
    dataset = host.create("dataset", "target", ds_inputs)
    assert dataset.outs["dataset_id"] == dataset.id

    job_inputs, failures = host.check(
        "job", "export", {"dataset_id": dataset.id, "fields": ["identities.id"]}
    )
    assert failures == []
    job = host.create("job", "export", {**job_inputs, "wait_for_completion": False})
    wait_inputs, _ = host.check("wait", "wait", {"job_ids": [job.id]})
    wait = host.create("wait", "wait", wait_inputs)
    assert wait.outs["statuses"] == {job.id: "SUCCEEDED"}

    _, refreshed, _ = host.read("job", "export", job.id, job.outs)
    assert refreshed["status"] == "SUCCEEDED"
    renamed, _ = host.check("dataset", "target", {"name": "legacy target, renamed"})
    diff = host.diff("dataset", "target", dataset.id, dataset.outs, renamed)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    updated = host.update("dataset", "target", dataset.id, dataset.outs, renamed)
    assert updated["name"] == "legacy target, renamed"

    host.delete("wait", "wait", wait.id, wait.outs)
    host.delete("job", "export", job.id, refreshed)
    host.delete("dataset", "target", dataset.id, updated)
    assert live_sandbox.state() == {"datasets": {}, "jobs": {}}


def _unchanged(host: ProviderHost, kind: str, name: str, inputs: dict[str, Any]) -> None:
    state = LEGACY["states"][kind]
    checked, failures = host.check(kind, name, inputs, olds=state["outputs"])
    assert failures == []
    diff = host.diff(kind, name, state["id"], state["outputs"], checked)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, (kind, list(diff.diffs))


def test_states_written_by_the_earlier_release_show_no_changes(legacy_host: ProviderHost) -> None:
    old = LEGACY["states"]
    _unchanged(
        legacy_host, "dataset", "target", {"name": "legacy target", "tags": {"team": ["data"]}}
    )
    _unchanged(
        legacy_host,
        "job",
        "export",
        {
            "dataset_id": old["dataset"]["id"],
            "fields": ["identities.id"],
            "merge_policy": {"id": "mp", "version": 1},
            "triggers": ["1"],
        },
    )
    _unchanged(legacy_host, "wait", "wait", {"job_ids": [old["job"]["id"]]})
