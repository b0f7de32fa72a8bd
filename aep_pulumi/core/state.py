"""Upgrades of states written by earlier releases (read where a state is compared or reused)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def upgraded(olds: Mapping[str, Any]) -> dict[str, Any]:
    """A job's or a wait's state as this release writes it.

    States written before ``report_files`` existed reported no files: that was its default,
    ``true``, now written out so that a diff does not see a change.
    """
    state = dict(olds)
    if state.get("report_files") is None:
        state["report_files"] = True
    return state
