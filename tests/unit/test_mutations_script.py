"""`scripts/mutations.py` removes each exactly-once mechanism in turn; each removal must still
name code that exists (a refactor that moves it would otherwise be found only by the next
mutation run, ten minutes in) and leave a module Python can parse."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _mutations() -> list[tuple[str, str, str, str, list[str]]]:
    spec = importlib.util.spec_from_file_location("mutations", ROOT / "scripts" / "mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found: list[tuple[str, str, str, str, list[str]]] = module.MUTATIONS
    return found


@pytest.mark.parametrize("mutation", _mutations(), ids=lambda m: m[0])
def test_each_mutation_removes_code_that_exists_and_names_tests_that_exist(
    mutation: tuple[str, str, str, str, list[str]],
) -> None:
    label, path, old, new, tests = mutation
    text = (ROOT / path).read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{label}: the code to remove is no longer in {path}"
    ast.parse(text.replace(old, new, 1))
    for test in tests:
        file, _, name = test.partition("::")
        assert f"def {name.split('[')[0]}(" in (ROOT / file).read_text(encoding="utf-8"), test
