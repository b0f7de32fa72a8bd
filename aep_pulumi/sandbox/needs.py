"""What the sandbox needs beyond the package itself: the ``sandbox`` extra (standard library
only, so that it can say so before anything else is imported)."""

from __future__ import annotations

import importlib.util

# Import name -> distribution, as pyproject.toml's `sandbox` extra lists them.
MODULES = {
    "werkzeug": "werkzeug",
    "openapi_core": "openapi-core",
    "yaml": "pyyaml",
    "jsonpatch": "jsonpatch",
    "pyarrow": "pyarrow",
}
INSTALL = 'pip install "aep-pulumi[sandbox]"'


def missing() -> list[str]:
    """The distributions of the extra that are not installed."""
    return [dist for module, dist in MODULES.items() if importlib.util.find_spec(module) is None]


def message(what: str, absent: list[str]) -> str:
    return f"{what} needs the sandbox extra ({', '.join(absent)} not installed): {INSTALL}"


def require(what: str) -> None:
    """Raise :class:`ModuleNotFoundError` naming the extra when part of it is missing."""
    absent = missing()
    if absent:
        raise ModuleNotFoundError(message(what, absent), name=absent[0])
