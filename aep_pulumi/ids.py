"""The id formats that may enter a URL path, shared by ``check()`` and the client.

Kept free of requests and pydantic so that ``check`` (preview) loads fast.
"""

from __future__ import annotations

import re
from typing import Any

DATASET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
JOB_ID = re.compile(r"^[0-9]{1,19}$")


def dataset_id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a dataset id in a URL (``None`` when it can, or is unknown)."""
    if not isinstance(value, str):
        return None
    if not DATASET_ID.match(value) or ".." in value:
        return f"not a dataset id (letters, digits, '-', '_', '.'; no '/' or '..'): {value[:80]!r}"
    return None
