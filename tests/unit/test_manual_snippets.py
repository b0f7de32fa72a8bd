"""Every snippet of the manual (README.md and docs/*.md) is executed, from a folder of its own
(not the clone's root): Python programs under the engine-faithful mocks (as `pulumi up` and as
`pulumi preview`), pytest examples by pytest in a user's folder, the rest as plain code; YAML,
TypeScript and Go excerpts must be in the examples the e2e tier runs. A claim in the manual is a
test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aep_pulumi.testing import EngineMocks, run

from ..conftest import run_pytest_in

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(language: str) -> list[tuple[str, int, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for i, code in enumerate(re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)):
            found.append((page.relative_to(ROOT).as_posix(), i, code))
    return found


PYTHON = _blocks("python")


def _kind(code: str) -> str:
    if "def test_" in code:
        return "pytest"
    # A program fragment: it declares resources itself (not through a function it runs).
    declares = "from aep_pulumi import" in code or "pulumi.export(" in code
    if declares and "def program" not in code and "served_sandbox" not in code:
        return "program"
    return "plain"


def test_the_manual_has_snippets() -> None:
    assert len(PYTHON) >= 8
    assert {page for page, _, _ in PYTHON} >= {"README.md", "docs/testing.md", "docs/cli.md"}


@pytest.mark.parametrize(("page", "index", "code"), PYTHON, ids=[f"{p}#{i}" for p, i, _ in PYTHON])
def test_python_snippet_runs(
    page: str, index: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kind = _kind(code)
    if kind == "pytest":
        done = run_pytest_in(tmp_path, "test_snippet.py", code)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        return
    compiled = compile(code, f"{page} python block {index}", "exec")
    namespace: dict[str, object] = {"__name__": "snippet"}
    if kind == "plain":
        exec(compiled, namespace)
        return
    for preview in (False, True):
        run(lambda: exec(compiled, dict(namespace)), EngineMocks(preview=preview))


EXCERPT_LANGUAGES = ("yaml", "typescript", "go")
EXAMPLE_FILES = [
    p for p in (ROOT / "examples").rglob("*") if p.suffix in (".yaml", ".ts", ".go") and p.is_file()
]


def _lines(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


# Each language's blocks are counted apart: the id names the language.
NATIVE_EXCERPTS = [
    pytest.param(page, index, code, id=f"{page}#{language}-{index}")
    for language in EXCERPT_LANGUAGES
    for page, index, code in _blocks(language)
    if page == "docs/native.md"
]


@pytest.mark.parametrize(("page", "index", "code"), NATIVE_EXCERPTS)
def test_native_excerpts_are_from_the_examples(page: str, index: int, code: str) -> None:
    wanted = _lines(code)
    for example in EXAMPLE_FILES:
        have = _lines(example.read_text(encoding="utf-8"))
        for start in range(len(have) - len(wanted) + 1):
            if have[start : start + len(wanted)] == wanted:
                return
    pytest.fail(f"{page} excerpt {index} is in no example:\n{code}")
