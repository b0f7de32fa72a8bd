"""``aep-sandbox``: a local, spec-strict AEP for trying, testing and previewing without an account.

Serves IMS tokens, Catalog datasets and batches, profile export jobs and Data Access files under
AEP's URL layout, validates requests and responses against Adobe's OpenAPI specs, and injects
faults on demand.
"""

from .app import SandboxApp
from .config import SandboxConfig
from .faults import FaultPlan, FaultRates, ScriptedFault
from .server import SandboxServer

__all__ = [
    "FaultPlan",
    "FaultRates",
    "SandboxApp",
    "SandboxConfig",
    "SandboxServer",
    "ScriptedFault",
]
