"""The benchmarks' statistics: a figure is the median of a few runs, with their min-max range.

Named ``stats``, not ``statistics``: ``benchmarks/`` is the first entry of ``sys.path`` when
``run.py`` runs, so a module of that name would shadow the standard library's (which this one
uses) for the whole process.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

# One figure: {"median": ..., "min": ..., "max": ...}.
Stat = dict[str, float]


def repeat(runs: int, measure: Callable[[], dict[str, float]]) -> dict[str, Stat]:
    """Each of ``measure``'s figures over ``runs`` runs, as a :data:`Stat`."""
    samples = [measure() for _ in range(runs)]
    return {
        key: {
            "median": statistics.median(s[key] for s in samples),
            "min": min(s[key] for s in samples),
            "max": max(s[key] for s in samples),
        }
        for key in samples[0]
    }


def fmt(stat: Stat, digits: int = 2) -> str:
    """``median (min-max)``, or the median alone when every run gave the same figure."""
    if stat["min"] == stat["max"]:
        return f"{stat['median']:.{digits}f}"
    return f"{stat['median']:.{digits}f} ({stat['min']:.{digits}f}-{stat['max']:.{digits}f})"
