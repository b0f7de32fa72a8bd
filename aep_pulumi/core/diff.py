"""Diff rules shared by the resources: which inputs changed, an unknown one counting as changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .unknown import is_unknown
from .values import normal


def changed(old: Any, new: Any) -> bool:
    """Whether an input changed; an unknown value may change, so it counts."""
    if is_unknown(new) or is_unknown(old):
        return True
    return bool(normal(old) != normal(new))


def changed_keys(
    olds: Mapping[str, Any], news: Mapping[str, Any], keys: tuple[str, ...]
) -> list[str]:
    """The keys among ``keys`` whose value differs between old state and new inputs."""
    return [k for k in keys if changed(olds.get(k), news.get(k))]
