"""The id formats that may enter a URL path: one rule per kind of id.

Shared by input validation (``check``, in preview: so this module imports nothing heavy) and by
the API modules, which validate every id before it enters a path.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import AepError, AepResponseError

# Dataset, batch and Data Access file ids share one alphabet.
OBJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
JOB_ID = re.compile(r"^[0-9]{1,19}$")
_DATASET_REF = re.compile(r"^@?/?datasets/([^/?#]+)$", flags=re.IGNORECASE)


def object_id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a dataset, batch or file id in a URL (``None`` when it can, or is
    not a string at all: the caller's own type checks report that)."""
    if not isinstance(value, str):
        return None
    if not OBJECT_ID.match(value) or ".." in value:
        return f"not a dataset id (letters, digits, '-', '_', '.'; no '/' or '..'): {value[:80]!r}"
    return None


def job_id_text(value: Any) -> str | None:
    """An export job id as path text (``1021``, ``1021.0`` and ``"1021"`` alike), or ``None``
    when ``value`` is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text if JOB_ID.match(text) else None


def path_object_id(value: Any, kind: str = "dataset") -> str:
    """Validate a dataset/batch/file id before it enters a URL path (no ``/``, ``?``, ``..``)."""
    text = str(value)
    if object_id_problem(text):
        raise AepError(f"invalid {kind} id {text[:80]!r}: expected letters, digits, '-', '_', '.'")
    return text


def path_job_id(value: Any) -> str:
    """Validate an export job id (a whole number) before it enters a URL path."""
    text = job_id_text(value)
    if text is None:
        raise AepError(f"invalid export job id {str(value)[:80]!r}: expected a whole number")
    return text


def dataset_id_from_ref(ref: str) -> str:
    """``"@/dataSets/<id>"`` or ``"@/datasets/<id>"`` -> ``<id>``."""
    match = _DATASET_REF.match(ref.strip())
    if not match:
        raise AepResponseError(f"unexpected dataset reference {ref.strip()[:80]!r}")
    return path_object_id(match.group(1))
