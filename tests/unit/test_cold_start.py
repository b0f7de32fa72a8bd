"""The provider host unpickles providers on every deploy: keep that import light."""

from __future__ import annotations

import subprocess
import sys


def modules_printed_by(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter; it prints a list of module names."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(eval(out))


def test_providers_load_without_the_http_stack_or_pydantic() -> None:
    loaded = modules_printed_by(
        "import sys, pulumi, pulumi.dynamic; before = set(sys.modules); "
        "import aep_pulumi.providers; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new))"
    )
    assert not loaded & {"pydantic", "requests", "urllib3", "werkzeug", "openapi_core", "yaml"}, (
        loaded
    )


def test_unpickling_one_provider_loads_only_its_own_modules() -> None:
    """The host's first Check unpickles one provider class: the others stay unloaded."""
    loaded = modules_printed_by(
        "import sys, dill, pulumi, pulumi.dynamic\n"
        "from pulumi.dynamic.dynamic import serialize_provider\n"
        "from aep_pulumi.providers import DatasetProvider\n"
        "blob = serialize_provider(DatasetProvider())\n"
        "for name in [m for m in sys.modules if m.startswith(('aep_pulumi', 'rfc3339'))]:\n"
        "    del sys.modules[name]\n"
        "import base64\n"
        "provider = dill.loads(base64.b64decode(blob))\n"
        "provider.check({}, {'name': 'cold'})\n"
        "print(sorted(m for m in sys.modules if m.startswith(('aep_pulumi', 'rfc3339'))))\n"
    )
    assert "aep_pulumi.providers.dataset" in loaded
    assert not loaded & {
        "aep_pulumi.providers.export_job",
        "aep_pulumi.providers.export_wait",
        "rfc3339_validator",
    }, loaded
