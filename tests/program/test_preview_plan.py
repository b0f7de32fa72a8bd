"""The flagship example under the engine-faithful mocks: what `pulumi preview` would plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from aep_pulumi.testing.engine_mocks import CheckFailed, EngineMocks, plan, run

FLAGSHIP = Path(__file__).resolve().parents[2] / "examples" / "profile_export"


def test_renaming_the_dataset_updates_it_and_leaves_the_export_alone() -> None:
    result = plan(FLAGSHIP, stack_config_after={"datasetName": "Renamed export target"})
    assert result.ops() == {"profile-export-target": "update", "profile-export": "same"}
    assert result.steps["profile-export-target"].properties == ["name"]


def test_adding_a_tag_updates_the_dataset_only() -> None:
    result = plan(FLAGSHIP, stack_config_after={"datasetTags": {"team": ["growth"]}})
    assert result.ops() == {"profile-export-target": "update", "profile-export": "same"}


def test_changing_fields_replaces_the_export() -> None:
    result = plan(FLAGSHIP, stack_config_after={"fields": ["identities.id"]})
    assert result.op("profile-export") == "replace"
    assert result.steps["profile-export"].properties == ["fields"]
    assert result.op("profile-export-target") == "same"


def test_changing_triggers_replaces_the_export() -> None:
    result = plan(FLAGSHIP, stack_config_after={"exportRun": "2"})
    assert result.op("profile-export") == "replace"
    assert result.steps["profile-export"].properties == ["triggers"]


def test_changing_the_wait_timeout_is_an_update() -> None:
    result = plan(FLAGSHIP, stack_config_after={"waitTimeoutSeconds": 7200})
    assert result.ops() == {"profile-export-target": "same", "profile-export": "update"}
    assert result.steps["profile-export"].properties == ["wait_timeout_seconds"]


def test_the_same_program_plans_no_change() -> None:
    assert set(plan(FLAGSHIP).ops().values()) == {"same"}


def test_a_bad_input_fails_like_pulumi_preview() -> None:
    import pulumi

    from aep_pulumi import Dataset, ProfileExportJob

    def program() -> None:
        target = Dataset("target", name="t")
        ProfileExportJob(
            "export", dataset_id=target.dataset_id, merge_policy={"id": "m", "version": 0}
        )

    with pytest.raises(CheckFailed, match=r"merge_policy\.version: must be 1 or more"):
        run(program, EngineMocks(preview=True))
    del pulumi
