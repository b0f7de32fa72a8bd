"""What restates the schema (`core/schema.py`, the one description of each property) must agree
with it: the dynamic door's Args, keywords and outputs (`resources.py`), its nested Args types,
and the defaults the validators apply."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from aep_pulumi import resources
from aep_pulumi.core.inputs import (
    check_dataset_inputs,
    check_export_job_inputs,
    check_wait_inputs,
)
from aep_pulumi.core.schema import RESOURCES, TYPES

DOOR = {
    "Dataset": (resources.Dataset, resources.DatasetArgs),
    "ProfileExportJob": (resources.ProfileExportJob, resources.ProfileExportJobArgs),
    "ProfileExportWait": (resources.ProfileExportWait, resources.ProfileExportWaitArgs),
}
NESTED = {
    "MergePolicy": resources.MergePolicyArgs,
    "EventList": resources.EventListArgs,
    "Segment": resources.SegmentArgs,
    "SegmentQualificationTime": resources.SegmentQualificationTimeArgs,
}
# The least each resource needs to pass its check, and its validator.
MINIMAL: dict[str, tuple[dict[str, Any], Any]] = {
    "Dataset": ({"name": "n"}, check_dataset_inputs),
    "ProfileExportJob": ({"dataset_id": "0123456789abcdef01234567"}, check_export_job_inputs),
    "ProfileExportWait": ({"job_ids": ["1"]}, check_wait_inputs),
}


@pytest.mark.parametrize("name", list(DOOR))
def test_the_dynamic_doors_args_keywords_and_outputs_are_the_schemas(name: str) -> None:
    spec = RESOURCES[name]
    resource, args = DOOR[name]
    settable = set(spec.inputs(internal=False))
    assert {f.name for f in dataclasses.fields(args)} == settable
    keywords = {
        p.name
        for p in inspect.signature(resource.__init__).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert keywords == settable
    outputs = {
        key
        for klass in type.mro(resource)
        if klass.__module__ == resources.__name__
        for key, hint in vars(klass).get("__annotations__", {}).items()
        if str(hint).startswith("Output[")
    }
    assert outputs == {p.name for p in spec.properties if not p.internal}


@pytest.mark.parametrize("name", list(NESTED))
def test_the_nested_args_are_the_schemas_types(name: str) -> None:
    assert {f.name for f in dataclasses.fields(NESTED[name])} == {
        p.name for p in TYPES[name].properties
    }


@pytest.mark.parametrize("name", list(MINIMAL))
def test_the_validators_apply_the_schemas_defaults(name: str) -> None:
    props, validate = MINIMAL[name]
    inputs, failures = validate(props)
    assert failures == []
    defaults = {p.name: p.default for p in RESOURCES[name].properties if p.default is not None}
    assert {k: inputs.get(k) for k in defaults} == defaults
    assert set(inputs) <= set(RESOURCES[name].inputs()), "a validator adds no other key"
