"""Every example runs under Pulumi's mocks: resource graph, outputs, and a clean pickled provider."""

from __future__ import annotations

import base64
import runpy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest

from aep_pulumi import Dataset, DatasetArgs, ProfileExportJob, ProfileExportJobArgs
from aep_pulumi.providers import DatasetProvider, ProfileExportJobProvider

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET = "client-secret-" + uuid.uuid4().hex


class RecordingMocks(pulumi.runtime.Mocks):
    """Pretends to be AEP the way our providers would answer, and records what was asked."""

    def __init__(self) -> None:
        self.resources: dict[str, Any] = {}

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.resources[args.name] = args
        state = dict(args.inputs)
        if args.typ == "pulumi-python:dynamic/aep:Dataset":
            resource_id = args.resource_id or "5b020a27e7040801dedba61b"
            state.update(dataset_id=resource_id, created=1, updated=1)
        elif args.typ == "pulumi-python:dynamic/aep:ProfileExportJob":
            resource_id = "24115"
            state.update(
                job_id=24115,
                status="SUCCEEDED",
                batch_id="da5cfb4de32c4b93a09f7e37fa53ad52",
                batches=[],
            )
        else:
            resource_id = args.name + "-id"
        return resource_id, state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingMocks]:
    monkeypatch.setenv("AEP_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("AEP_ACCESS_TOKEN", "token-" + SECRET)
    m = RecordingMocks()
    pulumi.runtime.set_mocks(m, project="aep-test", stack="test", preview=False)
    yield m
    # Leave no mock engine behind: later tests expect pulumi.log to print to stderr.
    pulumi.runtime.settings.configure(
        pulumi.runtime.settings.Settings(project="aep-test", stack="test")
    )


def run_example(name: str) -> dict[str, Any]:
    return runpy.run_path(str(EXAMPLES / name / "__main__.py"), run_name="__main__")


def provider_of(args: pulumi.runtime.MockResourceArgs) -> Any:
    raw = args.inputs["__provider"]
    if isinstance(raw, dict):  # the serialized provider is stored as a secret
        raw = raw["value"]
    decoded = base64.b64decode(raw)
    assert SECRET.encode() not in decoded, "no credential may be pickled into state"
    assert len(raw) <= 512
    return dill.loads(decoded)


@pulumi.runtime.test
def test_profile_export_example(mocks: RecordingMocks) -> Any:
    program = run_example("profile_export")

    def check(values: list[Any]) -> None:
        batch_id, job_id, dataset_id = values
        assert batch_id == "da5cfb4de32c4b93a09f7e37fa53ad52" and job_id == 24115
        target = mocks.resources["profile-export-target"]
        job = mocks.resources["profile-export"]
        assert target.typ == "pulumi-python:dynamic/aep:Dataset"
        assert job.typ == "pulumi-python:dynamic/aep:ProfileExportJob"
        assert target.inputs["name"] == "Profile Data Export"
        assert job.inputs["dataset_id"] == dataset_id == "5b020a27e7040801dedba61b"
        assert job.inputs["merge_policy"] == {
            "id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2",
            "version": 1,
        }
        assert job.inputs["event_list"]["from_ingest_timestamp"] == "2018-10-25T13:22:04-07:00"
        assert isinstance(provider_of(target), DatasetProvider)
        assert isinstance(provider_of(job), ProfileExportJobProvider)

    export = program["export"]
    return pulumi.Output.all(export.batch_id, export.job_id, program["target"].dataset_id).apply(
        check
    )


@pulumi.runtime.test
def test_profiles_only_example_sends_no_events(mocks: RecordingMocks) -> Any:
    program = run_example("profiles_only")

    def check(_: Any) -> None:
        job = mocks.resources["profiles-only"]
        assert "event_list" not in job.inputs or job.inputs["event_list"] is None
        assert job.inputs["fields"] == ["identities.id", "personalEmail.address"]

    return program["export"].batch_id.apply(check)


@pulumi.runtime.test
def test_segment_export_example(mocks: RecordingMocks) -> Any:
    program = run_example("segment_export")

    def check(_: Any) -> None:
        job = mocks.resources["segment-export"]
        assert job.inputs["segment_per_batch"] is True
        assert [s["segment_id"] for s in job.inputs["segments"]] == [
            "7a93d2ff-a220-4bae-9a4e-5f3c35032be3",
            "52c26d0d-45f2-47a2-ab30-ed06abc981ff",
        ]
        assert job.inputs["triggers"] == ["1"]
        assert mocks.resources["segment-export-target"].inputs["tags"] == {"team": ["growth"]}

    return program["export"].batches.apply(check)


@pulumi.runtime.test
def test_constructor_conventions(mocks: RecordingMocks) -> Any:
    by_args = Dataset("by-args", DatasetArgs(name="From args", description="d"))
    defaulted = Dataset("named-after-resource")
    job = ProfileExportJob(
        "job", ProfileExportJobArgs(dataset_id=by_args.dataset_id, wait_for_completion=False)
    )
    with pytest.raises(TypeError, match="not both"):
        Dataset("both", DatasetArgs(name="a"), name="b")

    def check(_: Any) -> None:
        assert mocks.resources["by-args"].inputs["name"] == "From args"
        assert mocks.resources["named-after-resource"].inputs["name"] == "named-after-resource"
        assert mocks.resources["job"].inputs["wait_for_completion"] is False

    return pulumi.Output.all(job.status, defaulted.dataset_id).apply(check)


@pulumi.runtime.test
def test_get_adopts_by_id(mocks: RecordingMocks) -> Any:
    adopted = Dataset.get("existing", "5cf6bcf79ecc7c14530fe436")

    def check(dataset_id: str) -> None:
        assert dataset_id == "5cf6bcf79ecc7c14530fe436"

    return adopted.dataset_id.apply(check)


@pulumi.runtime.test
def test_many_exports_example_waits_for_every_job(mocks: RecordingMocks) -> Any:
    program = run_example("many_exports")

    def check(_: Any) -> None:
        jobs = [
            r
            for r in mocks.resources.values()
            if r.typ == "pulumi-python:dynamic/aep:ProfileExportJob"
        ]
        assert len(jobs) == 12 and all(j.inputs["wait_for_completion"] is False for j in jobs)
        wait = mocks.resources["all-exports"]
        assert wait.typ == "pulumi-python:dynamic/aep:ProfileExportWait"
        assert len(wait.inputs["job_ids"]) == 12 and wait.inputs["timeout_seconds"] == 7200

    return program["done"].job_ids.apply(check)
