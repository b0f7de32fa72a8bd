"""The kit is safe inside anyone's pytest: a failing `run()` leaves nothing behind that could
interrupt later code. The failure this guards against: on CPython 3.11, a never-retrieved
Future exception, reported from its finalizer during a garbage collection, formats a traceback,
and traceback formatting parses source (`ast.parse`, for its caret anchors); when that
collection happens inside pytest's assertion rewriting of a module imported later (an
`ast.parse` of its own), the nested parse breaks the interpreter's AST recursion bookkeeping:
`SystemError: AST constructor recursion depth mismatch`. So a failed run must settle its
futures quietly, and close its event loops."""

from __future__ import annotations

import ast
import gc
from pathlib import Path
from typing import Any

import pytest

from aep_pulumi.testing import CheckFailed, EngineMocks, run

from ..conftest import run_pytest_in


def bad_program() -> None:
    from aep_pulumi import ProfileExportJob

    ProfileExportJob(
        "export", dataset_id="5cf6bcf79ecc7c14530fe436", merge_policy={"id": "m", "version": 0}
    )


def test_a_failed_run_leaves_no_finalizer_that_parses_source(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        with pytest.raises(CheckFailed):
            run(bad_program, EngineMocks(preview=True))
    parses: list[str] = []
    real_parse = ast.parse

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        parses.append("parse")
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting_parse)
    gc.collect()
    monkeypatch.setattr(ast, "parse", real_parse)
    assert parses == [], "a finalizer formatted a traceback"
    err = capfd.readouterr().err
    assert "never retrieved" not in err and "Traceback" not in err


USER_TESTS = """
import pytest

from aep_pulumi.testing import CheckFailed, EngineMocks, run


def bad_program():
    from aep_pulumi import ProfileExportJob

    ProfileExportJob("export", dataset_id="5cf6bcf79ecc7c14530fe436", merge_policy={"id": "m", "version": 0})


@pytest.mark.parametrize("i", range(8))
def test_a_bad_input_fails(i):
    with pytest.raises(CheckFailed):
        run(bad_program, EngineMocks(preview=True))


def test_then_a_provider_under_the_inprocess_sandbox(aep_sandbox_inprocess):
    aep_sandbox_inprocess.use()
    from aep_pulumi.providers import DatasetProvider, ProfileExportJobProvider

    ds = DatasetProvider().create({"name": "t"})
    job = ProfileExportJobProvider().create({"dataset_id": ds.id, "fields": ["identities.id"]})
    assert job.outs["status"] == "SUCCEEDED"
"""
NOISE = (
    "never retrieved",
    "Invalid file descriptor",
    "SystemError",
    "Traceback",
    "Exception ignored",
)


@pytest.mark.parametrize("attempt", range(4))
def test_a_users_own_suite_passes_quietly_with_assertion_rewriting(
    tmp_path: Path, attempt: int
) -> None:
    """As the failure appeared: a user's folder, failing-input tests first, then provider tests
    whose modules pytest rewrites as they are imported (the kit's plugin package is rewritten)."""
    done = run_pytest_in(tmp_path, "test_my_program.py", USER_TESTS)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "9 passed" in done.stdout
    assert not [n for n in NOISE if n in output], output[-3000:]
