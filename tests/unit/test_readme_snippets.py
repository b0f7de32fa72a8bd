"""Every ```python block of the README runs: programs under the engine-faithful mocks (as
`pulumi up` and as `pulumi preview`), the rest as plain code. A claim in the README is a test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aep_pulumi.testing import EngineMocks, run

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def _is_program(code: str) -> bool:
    return (
        "def test_" not in code
        and "with served_sandbox()" not in code
        and "CheckFailed" not in code
    )


CASES = [
    (i, mode)
    for i, code in enumerate(BLOCKS)
    for mode in (("up", "preview") if _is_program(code) else ("plain",))
]


def test_the_readme_has_python_snippets() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize(("index", "mode"), CASES, ids=[f"{i}-{m}" for i, m in CASES])
def test_readme_snippet_runs(index: int, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code = compile(BLOCKS[index], f"README python block {index}", "exec")
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "readme_snippet"}
    if mode == "plain":
        exec(code, namespace)
        return
    run(lambda: exec(code, namespace), EngineMocks(preview=mode == "preview"))
