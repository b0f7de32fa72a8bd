"""The matcher that decides whether a job record can be a lost request's result."""

from __future__ import annotations

from typing import Any

from aep_pulumi.core.export_job.request import Verdict, compare_job

from ..conftest import seed_sample

REQUEST: dict[str, Any] = {
    "fields": "identities.id,personalEmail.address",
    "mergePolicy": {"id": "0bf16e61-90e9-4204-b8fa-ad250360957b", "version": 1},
    "destination": {"datasetId": "5cf6bcf79ecc7c14530fe436", "segmentPerBatch": False},
    "schema": {"name": "_xdm.context.profile"},
}


def test_the_guides_record_is_only_possibly_the_request() -> None:
    record = seed_sample("get_job_response")
    verdict, reason = compare_job(record, REQUEST)
    assert verdict is Verdict.POSSIBLE and "fields" in reason


def test_echoed_and_equal_is_the_same() -> None:
    record = {**seed_sample("get_job_response"), "fields": "identities.id, personalEmail.address"}
    record["filter"] = None
    verdict, _ = compare_job({**record, "filter": {"x": 1}}, REQUEST)
    assert verdict is Verdict.DIFFERENT, "a carried filter the request lacks is a mismatch"
    record = {k: v for k, v in record.items() if k != "filter"}
    assert compare_job(record, REQUEST)[0] is Verdict.POSSIBLE
    full = {**record, "additionalFields": {"a": 1}}
    assert compare_job(full, {**REQUEST, "additionalFields": {"a": 1}, "filter": {"f": 1}})[0] is (
        Verdict.POSSIBLE
    )
    everything = {**full, "filter": {"f": 1}}
    assert (
        compare_job(everything, {**REQUEST, "additionalFields": {"a": 1}, "filter": {"f": 1}})[0]
        is Verdict.SAME
    )


def test_segment_per_batch_dataset_and_merge_policy_are_compared() -> None:
    record = seed_sample("get_job_response")
    per_batch = {**REQUEST, "destination": {**REQUEST["destination"], "segmentPerBatch": True}}
    assert compare_job(record, per_batch)[0] is Verdict.DIFFERENT
    other_ds = {**REQUEST, "destination": {"datasetId": "other"}}
    assert compare_job(record, other_ds)[0] is Verdict.DIFFERENT
    other_mp = {**REQUEST, "mergePolicy": {"id": "another"}}
    assert compare_job(record, other_mp)[0] is Verdict.DIFFERENT
    # AEP fills in a merge policy when the request names none: not evidence either way.
    no_mp = {k: v for k, v in REQUEST.items() if k != "mergePolicy"}
    assert compare_job(record, no_mp)[0] is Verdict.POSSIBLE


def test_per_segment_batches_name_their_segments() -> None:
    record = seed_sample("get_job_response")
    record["destination"] = {
        "dataSetId": "5cf6bcf79ecc7c14530fe436",
        "segmentPerBatch": True,
        "batches": [{"segmentId": "vip", "batchId": "b1"}],
    }
    request = {
        **REQUEST,
        "destination": {**REQUEST["destination"], "segmentPerBatch": True},
        "filter": {"segments": [{"segmentId": "vip"}]},
    }
    assert compare_job(record, request)[0] is Verdict.POSSIBLE
    request["filter"] = {"segments": [{"segmentId": "all-others"}]}
    assert compare_job(record, request)[0] is Verdict.DIFFERENT


def test_defaults_aep_adds_to_segments_do_not_count_against_the_request() -> None:
    record = {
        **seed_sample("get_job_response"),
        "filter": {"segments": [{"segmentId": "s", "segmentNs": "ups", "status": ["realized"]}]},
    }
    request = {**REQUEST, "filter": {"segments": [{"segmentId": "s"}]}}
    assert compare_job(record, request)[0] is not Verdict.DIFFERENT
    request = {**REQUEST, "filter": {"segments": [{"segmentId": "s", "status": ["exited"]}]}}
    assert compare_job(record, request)[0] is Verdict.DIFFERENT
