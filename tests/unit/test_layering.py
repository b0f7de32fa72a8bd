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
    assert "aep_pulumi.core.export_job" in MODULES and "aep_pulumi.aep.transport" in MODULES
    targets = {owner(i) for i in package_imports("aep_pulumi.core.export_job")}
    assert {"aep_pulumi.core.resource", "aep_pulumi.errors"} <= targets, targets
    # Function-local imports count too.
    assert "aep_pulumi.core.waiter" in {
        owner(i) for i in package_imports("aep_pulumi.core.export_job")
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


def test_small_modules_and_thin_dynamic_providers() -> None:
    """Small modules with one job each: none over 400 lines; the dynamic door (``providers/``)
    is a thin translation of the core, 450 lines in all."""
    too_long = {
        str(path.relative_to(PACKAGE)): _lines(path)
        for path in PACKAGE.rglob("*.py")
        if _lines(path) > 400
    }
    assert too_long == {}
    assert sum(_lines(path) for path in (PACKAGE / "providers").rglob("*.py")) <= 450
