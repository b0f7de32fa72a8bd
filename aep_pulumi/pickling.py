"""A guard around Pulumi's provider serialization, so that a program may declare thousands of
dynamic resources.

``pulumi.dynamic.serialize_provider`` (the SDK's ``dynamic.py``, Python before 3.14) sorts
dictionaries by replacing ``pickle._Pickler._batch_setitems`` with a wrapper around whatever is
there, and never puts the original back: every resource's serialization wraps the previous
wrapper once more. After about 950 dynamic resources in one program the chain is deeper than
Python's recursion limit and the next registration fails with ``RecursionError``. Putting the
standard library's own method back before each serialization keeps the chain one wrapper deep;
the SDK's sorting, and so its deterministic pickles, are unchanged.
"""

from __future__ import annotations

import pickle
from typing import Any

_STANDARD_BATCH_SETITEMS: Any = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


def unwrap_pickler() -> None:
    """Undo what earlier provider serializations left on the pure-Python pickler."""
    pickle._Pickler._batch_setitems = _STANDARD_BATCH_SETITEMS  # type: ignore[attr-defined]
