"""check(): every input validated, failures name the property path, unknowns accepted."""

from __future__ import annotations

from typing import Any

import pytest

from aep_pulumi.core.inputs import check_dataset_inputs, check_export_job_inputs
from aep_pulumi.core.payloads import export_job_request
from aep_pulumi.core.values import Unknown

from ..cases import JOB_INPUT_CASES
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


@pytest.mark.parametrize(("props", "path", "reason"), JOB_INPUT_CASES)
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


def test_two_bad_qualification_times_are_reported_each_on_its_own() -> None:
    found = failures(
        {
            "dataset_id": "d",
            "segment_qualification_time": {"start_time": "soon", "end_time": "later"},
        }
    )
    assert set(found) == {
        "segment_qualification_time.start_time",
        "segment_qualification_time.end_time",
    }
