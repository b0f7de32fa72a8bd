"""check(): every input validated, failures name the property path, unknowns accepted."""

from __future__ import annotations

from typing import Any

import pytest

from aep_pulumi.core.inputs import check_dataset_inputs, check_export_job_inputs
from aep_pulumi.core.payloads import export_job_request
from aep_pulumi.core.unknown import Unknown

from ..conftest import seed_sample


def failures(props: dict[str, Any]) -> dict[str, str]:
    return dict(check_export_job_inputs(props)[1])


def test_the_guides_job_is_valid_and_builds_the_guides_body() -> None:
    inputs, problems = check_export_job_inputs(
        {
            "dataset_id": "5b020a27e7040801dedba61b",
            "fields": ["identities.id", "personalEmail.address"],
            "merge_policy": {"id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", "version": 1.0},
            "event_list": {
                "fields": ["environment.browserDetails.name", "environment.browserDetails.version"],
                "from_ingest_timestamp": "2018-10-25T13:22:04-07:00",
            },
        }
    )
    assert problems == []
    assert inputs["wait_for_completion"] is True and inputs["wait_timeout_seconds"] == 3600
    assert inputs["segment_per_batch"] is False and inputs["schema_name"] == "_xdm.context.profile"
    assert export_job_request(inputs).to_api() == seed_sample("create_job_request")


@pytest.mark.parametrize(
    ("props", "path", "reason"),
    [
        ({}, "dataset_id", "is required"),
        ({"dataset_id": 5}, "dataset_id", "must be a string"),
        ({"dataset_id": "d", "fields": "a,b"}, "fields", "list of dot paths"),
        ({"dataset_id": "d", "fields": ["ok", ""]}, "fields[1]", "non-empty dot path"),
        ({"dataset_id": "d", "fields": ["a..b"]}, "fields[0]", "not a dot path"),
        ({"dataset_id": "d", "merge_policy": {"version": 1}}, "merge_policy.id", "is required"),
        (
            {"dataset_id": "d", "merge_policy": {"id": "m", "version": 0}},
            "merge_policy.version",
            "1 or more",
        ),
        (
            {"dataset_id": "d", "merge_policy": {"id": "m", "version": 1.5}},
            "merge_policy.version",
            "whole number",
        ),
        (
            {"dataset_id": "d", "merge_policy": {"id": "m", "colour": 1}},
            "merge_policy.colour",
            "unknown property",
        ),
        (
            {"dataset_id": "d", "event_list": {"from_ingest_timestamp": "yesterday"}},
            "event_list.from_ingest_timestamp",
            "not an RFC 3339 timestamp",
        ),
        (
            {"dataset_id": "d", "from_ingest_timestamp": "2018-10-25 13:22"},
            "from_ingest_timestamp",
            "RFC 3339",
        ),
        (
            {"dataset_id": "d", "segments": [{"segment_ns": "ups"}]},
            "segments[0].segment_id",
            "is required",
        ),
        (
            {"dataset_id": "d", "segments": [{"segment_id": "s", "status": ["gone"]}]},
            "segments[0].status[0]",
            "realized",
        ),
        ({"dataset_id": "d", "segments": []}, "segments", "empty"),
        (
            {
                "dataset_id": "d",
                "segment_qualification_time": {
                    "start_time": "2020-02-01T00:00:00Z",
                    "end_time": "2020-01-01T00:00:00Z",
                },
            },
            "segment_qualification_time",
            "after end_time",
        ),
        ({"dataset_id": "d", "segment_per_batch": True}, "segment_per_batch", "needs `segments`"),
        ({"dataset_id": "d", "empty_profiles": "yes"}, "empty_profiles", "true or false"),
        ({"dataset_id": "d", "wait_timeout_seconds": -1}, "wait_timeout_seconds", "greater than 0"),
        ({"dataset_id": "d", "sandbox_name": "Prod"}, "sandbox_name", "lower-case"),
        ({"dataset_id": "d", "triggers": "now"}, "triggers", "must be a list"),
        ({"dataset_id": "d", "batchid": "x"}, "batchid", "unknown property"),
        (
            {"dataset_id": "d", "segments": [{"segment_id": "vip"}, {"segment_id": "vip"}]},
            "segments",
            "lists segment 'vip' twice",
        ),
    ],
)
def test_each_mistake_names_its_property(props: dict[str, Any], path: str, reason: str) -> None:
    found = failures(props)
    assert path in found, found
    assert reason in found[path]


def test_unknown_values_pass_during_preview() -> None:
    unknown = Unknown()
    inputs, problems = check_export_job_inputs(
        {
            "dataset_id": unknown,
            "fields": [unknown, "a.b"],
            "merge_policy": unknown,
            "event_list": {"from_ingest_timestamp": unknown},
        }
    )
    assert problems == []
    assert inputs["dataset_id"] is unknown


def test_dataset_inputs_defaults_and_failures() -> None:
    inputs, problems = check_dataset_inputs({"name": "Profile Data Export"})
    assert problems == []
    assert inputs["schema_id"] == "https://ns.adobe.com/xdm/context/profile__union"
    assert inputs["schema_content_type"] == "application/vnd.adobe.xed+json;version=1"
    _, problems = check_dataset_inputs(
        {"name": "", "tags": {"a b": ["x"], "ok": [1]}, "schema_id": "nope", "extra": 1}
    )
    found = dict(problems)
    assert set(found) == {"name", "tags.a b", "tags.ok[0]", "schema_id", "extra"}
