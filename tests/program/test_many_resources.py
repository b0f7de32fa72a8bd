"""A program may declare more dynamic resources than Python's recursion limit: Pulumi's provider
serialization wraps the pickler once more per resource unless undone (aep_pulumi/pickling.py)."""

from __future__ import annotations

import pickle
import sys

from aep_pulumi import ProfileExportJob
from aep_pulumi.testing import EngineMocks, run


def test_more_exports_than_the_recursion_limit_register() -> None:
    count = sys.getrecursionlimit() + 200

    def program() -> None:
        for i in range(count):
            ProfileExportJob(
                f"export-{i}",
                dataset_id="5cf6bcf79ecc7c14530fe436",
                fields=["identities.id"],
                wait_for_completion=False,
            )

    run(program, EngineMocks(preview=True))
    wrapped = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    depth = 0
    while wrapped.__closure__ and depth < 10:
        wrapped = wrapped.__closure__[0].cell_contents
        depth += 1
    assert depth <= 1, f"the pickler is wrapped {depth} deep"
