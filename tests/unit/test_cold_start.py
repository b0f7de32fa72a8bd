"""The provider host unpickles providers on every deploy: keep that import light."""

from __future__ import annotations

import subprocess
import sys


def test_providers_load_without_the_http_stack_or_pydantic() -> None:
    code = (
        "import sys, pulumi, pulumi.dynamic; before = set(sys.modules); "
        "import aep_pulumi.providers; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(eval(out))
    assert not loaded & {"pydantic", "requests", "urllib3", "werkzeug", "openapi_core", "yaml"}, (
        loaded
    )
