"""A misspelt input to a resource constructor is refused naming the closest input (as a
mistyped `aep:` config key is), not with Python's bare TypeError."""

from __future__ import annotations

import pytest

from aep_pulumi import Dataset, ProfileExportJob, ProfileExportWait


@pytest.mark.parametrize(
    ("build", "misspelt", "meant"),
    [
        (lambda: ProfileExportJob("x", dataset_id="d", feilds=["a"]), "feilds", "fields"),
        (lambda: Dataset("x", nmae="Profile Data Export"), "nmae", "name"),
        (lambda: ProfileExportWait("x", job_id=["1"]), "job_id", "job_ids"),
    ],
)
def test_a_misspelt_input_names_the_closest_one(build: object, misspelt: str, meant: str) -> None:
    with pytest.raises(TypeError) as refused:
        build()  # type: ignore[operator]
    message = str(refused.value)
    assert f"no input `{misspelt}`; did you mean `{meant}`?" in message


def test_an_input_like_none_lists_them_all() -> None:
    with pytest.raises(TypeError, match=r"has no input `colour` \(its inputs: name, description"):
        Dataset("x", colour="blue")  # type: ignore[call-arg]
