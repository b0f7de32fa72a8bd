"""Property-based: any JSON-like input gives acceptance or precise failures, never an exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aep_pulumi import AepClient, AepSettings
from aep_pulumi.core.inputs import DATASET_INPUTS, JOB_INPUTS
from aep_pulumi.errors import AepError, AepResponseError
from aep_pulumi.models import ExportJob
from aep_pulumi.providers import DatasetProvider, ProfileExportJobProvider

# Named functions, not lambdas: hypothesis describes a lambda by parsing its source with `ast`.


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=12), children, max_size=4
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    _containers,
    max_leaves=12,
)


def _merged(known: dict[str, Any], stray: dict[str, Any]) -> dict[str, Any]:
    return {**stray, **known}


def bags(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    known = st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))
    stray = st.dictionaries(st.text(max_size=10), json_values, max_size=2)
    return st.builds(_merged, known, stray)


def _assert_precise(result: Any) -> None:
    for failure in result.failures:
        assert isinstance(failure.property, str) and failure.property
        assert isinstance(failure.reason, str) and failure.reason


@settings(max_examples=300, deadline=None)
@given(bags(JOB_INPUTS))
def test_job_check_never_raises(props: dict[str, Any]) -> None:
    result = ProfileExportJobProvider().check({}, props)
    _assert_precise(result)
    if not result.failures:
        json.dumps(result.inputs)


@settings(max_examples=300, deadline=None)
@given(bags(DATASET_INPUTS))
def test_dataset_check_never_raises(props: dict[str, Any]) -> None:
    _assert_precise(DatasetProvider().check({}, props))


nested_job_values = st.fixed_dictionaries(
    {"dataset_id": st.text(min_size=1, max_size=8)},
    optional={
        "merge_policy": st.fixed_dictionaries(
            {}, optional={"id": json_values, "version": json_values}
        ),
        "event_list": st.fixed_dictionaries(
            {}, optional={"fields": json_values, "from_ingest_timestamp": json_values}
        ),
        "segments": st.lists(
            st.fixed_dictionaries({}, optional={"segment_id": json_values, "status": json_values}),
            max_size=3,
        ),
        "segment_qualification_time": st.fixed_dictionaries(
            {}, optional={"start_time": json_values, "end_time": json_values}
        ),
        "fields": st.lists(st.text(max_size=12), max_size=3),
    },
)


@settings(max_examples=300, deadline=None)
@given(nested_job_values)
def test_nested_job_inputs_fail_with_paths(props: dict[str, Any]) -> None:
    result = ProfileExportJobProvider().check({}, props)
    _assert_precise(result)
    top = {f.property.split(".")[0].split("[")[0] for f in result.failures}
    assert top <= set(props), "a failure names a property that was given"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(json_values)
def test_malformed_job_bodies_are_clear_errors(body: Any) -> None:
    client = AepClient(
        AepSettings.load(
            {},
            {
                "AEP_ORG_ID": "o",
                "AEP_ACCESS_TOKEN": "t",
                "AEP_API_KEY": "k",
                "AEP_MAX_RETRIES": "0",
            },
        )
    )
    with responses.RequestsMock() as mock:
        mock.get("https://platform.adobe.io/data/core/ups/export/jobs/7", json=body)
        try:
            job = client.get_export_job(7)
        except AepResponseError as exc:
            assert "unexpected response body" in str(exc) or "not JSON" in str(exc)
        except AepError as exc:  # pragma: no cover - any other typed error is also acceptable
            assert str(exc)
        else:
            assert isinstance(job, ExportJob)


def test_hypothesis_keeps_its_storage_out_of_the_checkout() -> None:
    from hypothesis.configuration import storage_directory

    checkout = Path(__file__).resolve().parents[2]
    where = storage_directory("constants", intent_to_write=False).path.resolve()
    assert checkout not in where.parents, where
