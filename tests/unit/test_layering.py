"""The package's one direction of dependency, read from every module's imports.

front doors (``providers/``, ``native/``, ``resources.py``) -> ``core/`` -> ``aep/`` ->
``errors``/``settings``/``config``/``version``. Nothing under ``aep/`` or ``core/`` imports
pulumi; the sandbox imports nothing of the package outside itself (it must be able to catch a
client bug, so it shares no code with the client).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "aep_pulumi"
BASE = {"aep_pulumi.errors", "aep_pulumi.settings", "aep_pulumi.config", "aep_pulumi.version"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (relative imports resolved), at any depth of the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # `from . import x` may name a submodule.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def package_imports(module: str) -> set[str]:
    return {
        i
        for i in MODULES[module]
        if i.startswith("aep_pulumi") and (i in MODULES or i.rsplit(".", 1)[0] in MODULES)
    }


def owner(imported: str) -> str:
    """The module an import refers to (``from .x import Name`` names a module or a name)."""
    return imported if imported in MODULES else imported.rsplit(".", 1)[0]


def in_layer(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_walk_sees_the_layers() -> None:
    assert (
        "aep_pulumi.core.export_job.lifecycle" in MODULES and "aep_pulumi.aep.transport" in MODULES
    )
    targets = {owner(i) for i in package_imports("aep_pulumi.core.export_job.lifecycle")}
    assert {"aep_pulumi.core.resource", "aep_pulumi.errors"} <= targets, targets
    # Function-local imports count too.
    assert "aep_pulumi.core.waiter" in {
        owner(i) for i in package_imports("aep_pulumi.core.export_job.lifecycle")
    }


@pytest.mark.parametrize("layer", ["aep_pulumi.aep", "aep_pulumi.core"])
def test_the_aep_layer_and_the_core_never_import_pulumi(layer: str) -> None:
    offenders = {
        module: sorted(i for i in imports if i == "pulumi" or i.startswith("pulumi."))
        for module, imports in MODULES.items()
        if in_layer(module, layer)
    }
    assert not {m: i for m, i in offenders.items() if i}


def test_the_aep_layer_knows_nothing_of_the_core_or_the_front_doors() -> None:
    for module in MODULES:
        if in_layer(module, "aep_pulumi.aep"):
            for imported in package_imports(module):
                target = owner(imported)
                assert in_layer(target, "aep_pulumi.aep") or target in BASE, (module, imported)


def test_the_core_depends_only_on_the_aep_layer_and_the_base() -> None:
    for module in MODULES:
        if in_layer(module, "aep_pulumi.core"):
            for imported in package_imports(module):
                target = owner(imported)
                assert in_layer(target, "aep_pulumi.core", "aep_pulumi.aep") or target in BASE, (
                    module,
                    imported,
                )


def test_the_base_modules_import_no_layer_above_them() -> None:
    for module in BASE:
        for imported in package_imports(module):
            assert owner(imported) in BASE, (module, imported)


def test_the_sandbox_shares_no_code_with_the_client() -> None:
    for module in MODULES:
        if in_layer(module, "aep_pulumi.sandbox"):
            for imported in package_imports(module):
                assert in_layer(owner(imported), "aep_pulumi.sandbox"), (module, imported)


def test_front_doors_never_import_each_other_or_the_test_kit() -> None:
    doors = {"providers": "aep_pulumi.providers", "native": "aep_pulumi.native"}
    for module in MODULES:
        for door, prefix in doors.items():
            if not in_layer(module, prefix):
                continue
            for imported in package_imports(module):
                target = owner(imported)
                others = [p for d, p in doors.items() if d != door]
                assert not in_layer(target, *others, "aep_pulumi.testing"), (module, imported)


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


# A function longer than this does more than one thing: split it where its parts have names.
MAX_FUNCTION_LINES = 60
# The checkout's own tools keep the rule too: they are read and changed as often as the package.
CHECKOUT_TOOLS = [PACKAGE.parent / "benchmarks", PACKAGE.parent / "scripts"]
# The functions allowed over it, each with its reason (none in core/ or the doors, nor in the
# tools); named by their path in the package, or in the checkout for the tools.
LONG_FUNCTIONS = {
    "cli/export.py::run": "aep-export's dispatch: each command's few lines, read top to bottom",
    "sandbox/__main__.py::_parser": "one argparse table: each option and its help, nothing else",
    "sandbox/__main__.py::main": "the emulator's start-up, read once top to bottom",
    "sandbox/jobs.py::create_job": "the spec's checks of a POST /export/jobs body, in the "
    "spec's order (the sandbox must stay at least as hard as AEP)",
}


def _checked_files() -> dict[str, Path]:
    """The package's modules by their path in it, and the tools' by their path in the checkout."""
    files = {path.relative_to(PACKAGE).as_posix(): path for path in PACKAGE.rglob("*.py")}
    for folder in CHECKOUT_TOOLS:
        files.update(
            {path.relative_to(PACKAGE.parent).as_posix(): path for path in folder.rglob("*.py")}
        )
    return files


def _long_functions() -> dict[str, int]:
    """Every function over :data:`MAX_FUNCTION_LINES` (``def`` to its end)."""
    found = {}
    for name, path in _checked_files().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{name}::{node.name}"] = length
    return found


def test_the_length_rule_sees_the_tools() -> None:
    files = _checked_files()
    assert {"cli/export.py", "benchmarks/run.py", "scripts/engine.py"} <= set(files)


def test_functions_do_one_thing() -> None:
    """No function over 60 lines, except the ones listed with their reason (and each listed
    one still is long: a list that outlives its reasons hides the next long function)."""
    long = _long_functions()
    assert sorted(set(long) - set(LONG_FUNCTIONS)) == [], long
    assert sorted(set(LONG_FUNCTIONS) - set(long)) == []


def test_thin_dynamic_providers() -> None:
    """The dynamic door (``providers/``) is a thin translation of the core, 450 lines in all."""
    assert sum(_lines(path) for path in (PACKAGE / "providers").rglob("*.py")) <= 450


def test_core_is_grouped_by_what_it_serves() -> None:
    """Shared machinery at the top of ``core/``, one module or package per resource, and no
    module of the same name as another layer's unless it is the same idea."""
    core = PACKAGE / "core"
    assert {p.stem for p in core.glob("*.py")} == {
        # shared machinery
        "__init__", "context", "registries", "values", "resource", "schema", "shapes",
        "validation", "inputs", "payloads", "waiter", "files", "ran_with",
        # one per resource (and the functions)
        "dataset", "export_wait", "functions",
        # the import path of UNKNOWN documented by earlier releases (an alias of `values`)
        "unknown",
    }  # fmt: skip
    assert {p.stem for p in (core / "export_job").glob("*.py")} == {
        "__init__", "lifecycle", "request", "submit", "lost_answer", "claims", "claim_tags",
        "claim_keeper", "state", "ending",
    }  # fmt: skip


# Module names found in more than one folder, allowed because they are the same idea there.
SAME_IDEA = {
    "__init__": "each package's own entry",
    "dataset": "the Dataset resource: its core, and its dynamic door (core/, providers/)",
    "export_job": "the ProfileExportJob resource: its core package, and its dynamic door",
    "export_wait": "the ProfileExportWait resource: its core, and its dynamic door",
    "functions": "the functions: the core's implementations, and the Python door over them",
    "schema": "the description of every property (core/), and the package schema made from it "
    "(native/)",
    "models": "AEP's response models (aep/), and their public import path (the root)",
    "server": "the process's network server: the native plugin's gRPC, the sandbox's HTTP",
    "config": "the configuration of the process: the `aep:` keys (root), the sandbox's own",
}


def test_no_two_modules_share_a_name_unless_they_are_the_same_idea() -> None:
    folders: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        folders.setdefault(path.stem, set()).add(path.parent.relative_to(PACKAGE).as_posix())
    for path in PACKAGE.rglob("__init__.py"):  # a package counts under its own name
        if path.parent != PACKAGE:
            parent = path.parent.parent.relative_to(PACKAGE).as_posix()
            folders.setdefault(path.parent.name, set()).add(parent)
    shared = {name for name, where in folders.items() if len(where) > 1}
    assert shared == set(SAME_IDEA), {name: sorted(folders[name]) for name in shared}
