"""``aep-sandbox``: a local, spec-strict AEP for trying, testing and previewing without an account.

Serves IMS tokens, Catalog datasets and batches, profile export jobs and Data Access files under
AEP's URL layout, validates requests and responses against Adobe's OpenAPI specs, and injects
faults on demand.

It needs the ``sandbox`` extra (``pip install "aep-pulumi[sandbox]"``): its names are loaded on
first use, and say so when the extra is missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .needs import require

_EXPORTS = {
    "FaultPlan": "faults",
    "FaultRates": "faults",
    "SandboxApp": "app",
    "SandboxConfig": "config",
    "SandboxServer": "server",
    "ScriptedFault": "faults",
}

__all__ = [
    "FaultPlan",
    "FaultRates",
    "SandboxApp",
    "SandboxConfig",
    "SandboxServer",
    "ScriptedFault",
]

if TYPE_CHECKING:
    from .app import SandboxApp
    from .config import SandboxConfig
    from .faults import FaultPlan, FaultRates, ScriptedFault
    from .server import SandboxServer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require("the sandbox (aep_pulumi.sandbox)")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
