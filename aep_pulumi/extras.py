"""The package's optional parts and the extra that installs each (``pyproject.toml``).

The package alone runs the plugin (``pulumi-resource-aep``) and the dynamic door. The data tools
(``aep-export download`` and ``head``) need ``[data]``; the test kit needs ``[testing]``; the
sandbox checks its own ``[sandbox]`` (:mod:`aep_pulumi.sandbox.needs`: it shares no code with
the client). Each says which extra it needs, and the command that installs it, when it is
missing. Standard library only.
"""

from __future__ import annotations

import importlib.util

# Import name -> distribution, per extra, as pyproject.toml's optional dependencies list them
# (the sandbox's own list is aep_pulumi.sandbox.needs.MODULES).
MODULES: dict[str, dict[str, str]] = {
    "data": {"pyarrow": "pyarrow", "tqdm": "tqdm"},
    "testing": {
        "pytest": "pytest",
        "responses": "responses",
        "yaml": "pyyaml",
        # The sandbox extra, which `testing` includes.
        "werkzeug": "werkzeug",
        "openapi_core": "openapi-core",
        "jsonpatch": "jsonpatch",
        "pyarrow": "pyarrow",
    },
}


def install_command(extra: str) -> str:
    return f'pip install "aep-pulumi[{extra}]"'


def missing(extra: str) -> list[str]:
    """The distributions of ``extra`` that are not installed."""
    return [
        dist for module, dist in MODULES[extra].items() if importlib.util.find_spec(module) is None
    ]


def message(what: str, extra: str, absent: list[str]) -> str:
    return (
        f"{what} needs the {extra} extra ({', '.join(absent)} not installed): "
        f"{install_command(extra)}"
    )


def require(what: str, extra: str) -> None:
    """Raise :class:`ModuleNotFoundError` naming ``extra`` when part of it is missing."""
    absent = missing(extra)
    if absent:
        raise ModuleNotFoundError(message(what, extra, absent), name=absent[0])
