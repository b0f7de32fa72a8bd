"""What restates the schema (`core/schema.py`, the one description of each property) must agree
with it: the dynamic door's Args, keywords and outputs (`resources.py`), its nested Args types,
the defaults the validators apply, and the typed inputs and state the core works on
(`core/shapes.py`)."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Any

import pytest

from aep_pulumi import resources
from aep_pulumi.core import shapes
from aep_pulumi.core.dataset import DatasetCore
from aep_pulumi.core.export_job import ExportJobCore
from aep_pulumi.core.export_wait import ExportWaitCore
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


# Each resource's TypedDicts, the Literal types of their keys (by the prefix of their names),
# the reader of a state a door hands back, and the core that works on them.
SHAPES: dict[str, tuple[Any, Any, str, Any, Any]] = {
    "Dataset": (
        shapes.DatasetInputs,
        shapes.DatasetState,
        "Dataset",
        shapes.dataset_state,
        DatasetCore,
    ),
    "ProfileExportJob": (
        shapes.ExportJobInputs,
        shapes.ExportJobState,
        "ExportJob",
        shapes.export_job_state,
        ExportJobCore,
    ),
    "ProfileExportWait": (
        shapes.ExportWaitInputs,
        shapes.ExportWaitState,
        "ExportWait",
        shapes.export_wait_state,
        ExportWaitCore,
    ),
}
NESTED_SHAPES = {
    "MergePolicy": shapes.MergePolicyInput,
    "EventList": shapes.EventListInput,
    "Segment": shapes.SegmentInput,
    "SegmentQualificationTime": shapes.SegmentQualificationTimeInput,
    "SegmentBatch": shapes.SegmentBatchOutput,
    "JobError": shapes.JobErrorOutput,
    "ExportPart": shapes.ExportPartOutput,
    "ExportFile": shapes.ExportFileOutput,
}


def keys_of(typed_dict: Any) -> set[str]:
    return set(typed_dict.__required_keys__ | typed_dict.__optional_keys__)


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_typed_inputs_and_state_have_the_schemas_keys(name: str) -> None:
    """A property added to the schema and not to the TypedDicts (or the other way) fails here:
    the inputs are the schema's inputs, the state every input and every output; the keys that
    always hold a value after the check are those with a default."""
    spec = RESOURCES[name]
    inputs, state, _, _, _ = SHAPES[name]
    assert keys_of(inputs) == set(spec.inputs())
    assert keys_of(state) == set(spec.inputs()) | set(spec.outputs())
    defaulted = {p.name for p in spec.properties if p.input and p.default is not None}
    assert set(inputs.__required_keys__) == defaulted
    assert not state.__required_keys__, "any key of a state handed back may be absent"


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_key_literals_are_the_schemas_names_in_its_order(name: str) -> None:
    spec = RESOURCES[name]
    prefix = SHAPES[name][2]

    def args(kind: str) -> tuple[str, ...]:
        return typing.get_args(getattr(shapes, f"{prefix}{kind}"))

    defaulted = {p.name for p in spec.properties if p.input and p.default is not None}
    assert args("InputKey") == spec.inputs()
    assert args("OptionalKey") == tuple(k for k in spec.inputs() if k not in defaulted)
    assert args("OutputKey") == spec.outputs()
    assert args("Key") == spec.inputs() + spec.outputs()


@pytest.mark.parametrize("name", list(NESTED_SHAPES))
def test_the_typed_nested_values_are_the_schemas_types(name: str) -> None:
    assert keys_of(NESTED_SHAPES[name]) == {p.name for p in TYPES[name].properties}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_state_handed_back_keeps_the_schemas_properties_only(name: str) -> None:
    spec = RESOURCES[name]
    _, _, _, stored, _ = SHAPES[name]
    every = {key: f"value of {key}" for key in (*spec.inputs(), *spec.outputs())}
    assert stored({**every, "__provider": "pickled", "__meta": "{}"}) == every
    assert stored({"sandbox_name": "dev"}) == {"sandbox_name": "dev"}


@pytest.mark.parametrize("name", list(SHAPES))
def test_each_core_works_on_its_resources_typed_inputs_and_state(name: str) -> None:
    inputs, state, _, stored, core = SHAPES[name]
    (base,) = core.__orig_bases__
    assert typing.get_args(base) == (inputs, state)
    assert core.stored is stored


ROOT = Path(__file__).resolve().parents[2]
MISSPELT = """
from aep_pulumi.core.shapes import DatasetInputs, ExportJobState


def misspelt(inputs: DatasetInputs, state: ExportJobState) -> object:
    known = (inputs["name"], state.get("status"), state["batch_id"])
    return known, inputs["nmae"], state.get("stauts")
"""


def test_mypy_rejects_a_misspelt_key_of_the_typed_inputs_and_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the project's configuration (its plugin checks `.get()` too)."""
    api = pytest.importorskip("mypy.api")
    program = tmp_path / "misspelt.py"
    program.write_text(MISSPELT, encoding="utf-8")
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    config = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path)]
    out, err, status = api.run([*config, str(program)])
    assert status == 1, out + err
    assert 'TypedDict "DatasetInputs" has no key "nmae"' in out
    assert 'TypedDict "ExportJobState" has no key "stauts"' in out
    assert "Found 2 errors" in out, out
