"""Models parse every response sample of the seed guide and the spec's examples."""

from __future__ import annotations

from typing import Any

import pytest

from aep_pulumi.aep.models import ExportJob, ExportJobList, ExportJobRequest

from ..conftest import seed_sample


@pytest.mark.parametrize("name", ["create_job_response", "get_job_response"])
def test_seed_job_samples_keep_batch_id_and_dataset_id(name: str) -> None:
    job = ExportJob.model_validate(seed_sample(name))
    assert job.id == 24115
    assert job.batch_id == "da5cfb4de32c4b93a09f7e37fa53ad52"
    assert job.dataset_id == "5cf6bcf79ecc7c14530fe436", "guide spells it dataSetId"
    assert job.destination.segment_per_batch is False


def test_seed_list_sample_keeps_errors_metrics_and_cursor() -> None:
    page = ExportJobList.model_validate(seed_sample("list_jobs_response"))
    ok, failed = page.records
    assert ok.status == "SUCCEEDED" and ok.dataset_id == "5b7c86968f7b6501e21ba9df"
    assert ok.metrics["aCPDatasetWriteTime"]["totalTimeInMs"] == 543
    assert failed.status == "FAILED" and failed.batch_id is None, "empty batchId means none"
    assert [(e.code, e.msg) for e in failed.errors] == [
        (
            "0090000009",
            "Error writing profiles to output path 'adl://va7devprofilesnapshot.azuredatalakestore.net/snapshot/722'",
        ),
        ("unknown", "Job aborted."),
    ]
    assert failed.filter == {"segments": [{"segmentId": "7a93d2ff-a220-4bae-9a4e-5f3c35032be3"}]}
    assert page.next_link == "/export/jobs/?limit=2&offset=1538573416687_722"
    assert page.page is not None and page.page.page_offset == "1538573416687_722"


@pytest.mark.parametrize(
    "name", ["create_job_request", "appendix_profiles_only_request", "appendix_events_only_request"]
)
def test_seed_request_samples_round_trip(name: str) -> None:
    sample = seed_sample(name)
    assert ExportJobRequest.model_validate(sample).to_api() == sample


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _resolve(spec, target)
    return node


def _example_of(spec: dict[str, Any], schema: Any) -> Any:
    """Build an instance from the spec's own `example` values."""
    schema = _resolve(spec, schema)
    if "example" in schema and schema.get("type") not in ("object", "array"):
        return schema["example"]
    if schema.get("type") == "array":
        return [_example_of(spec, schema.get("items", {}))]
    if schema.get("type") == "object" or "properties" in schema:
        return {k: _example_of(spec, v) for k, v in schema.get("properties", {}).items()}
    return schema.get("example")


def test_spec_examples_parse(segmentation_spec: dict[str, Any]) -> None:
    schemas = segmentation_spec["components"]["schemas"]
    job_example = _example_of(segmentation_spec, schemas["ExportJobResponse"])
    job = ExportJob.model_validate(job_example)
    assert job.id == 100 and job.status == "SUCCEEDED"
    assert job.batch_id == "da5cfb4de32c4b93a09f7e37fa53ad52"
    assert job.dataset_id == "5b7c86968f7b6501e21ba9df", "spec spells it datasetId"
    assert [b.batch_id for b in job.destination.batches] == ["da5cfb4de32c4b93a09f7e37fa53ad52"], (
        "batches as an object"
    )
    assert (
        job.errors[0].code == "0100000003" and job.metrics["totalTime"]["totalTimeInMs"] == 10000.0
    )
    page = ExportJobList.model_validate(
        _example_of(segmentation_spec, schemas["GetExportJobsResponse"])
    )
    assert (
        page.records[0].id == 100
        and page.page is not None
        and isinstance(page.page.page_offset, str)
    )


@pytest.mark.parametrize(
    "batches",
    [
        [{"segmentId": "s1", "batchId": "b1"}, {"segmentId": "s2", "batchId": "b2"}],
        {"s1": {"segmentNs": "ups", "batchId": "b1"}, "s2": {"batchId": "b2"}},
    ],
)
def test_batches_as_array_or_keyed_object(batches: Any) -> None:
    job = ExportJob.model_validate(
        {
            "id": "12",
            "status": "NEW",
            "destination": {"datasetId": "d", "segmentPerBatch": True, "batches": batches},
        }
    )
    assert job.id == 12
    assert [(b.segment_id, b.batch_id) for b in job.destination.batches] == [
        ("s1", "b1"),
        ("s2", "b2"),
    ]


def test_unknown_status_and_fields_are_kept() -> None:
    job = ExportJob.model_validate(
        {"id": 1.0, "status": "queued_for_spark", "newField": {"x": 1}, "errors": None}
    )
    assert job.status == "QUEUED_FOR_SPARK" and not job.is_terminal
    assert job.model_extra == {"newField": {"x": 1}} and job.errors == []
