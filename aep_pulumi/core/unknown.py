"""Kept for the import path earlier releases documented (``from aep_pulumi.core.unknown import
UNKNOWN``) and for pickles of :data:`UNKNOWN` made by them: the values live in :mod:`.values`."""

from .values import UNKNOWN, Unknown, contains_unknown, is_unknown

__all__ = ["UNKNOWN", "Unknown", "contains_unknown", "is_unknown"]
