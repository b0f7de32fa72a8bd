"""``aep_pulumi.export_cli``, the module of ``aep-export`` in earlier releases (a console script
installed by one of them still names it; ``python -m aep_pulumi.export_cli`` still runs): the
tool now lives in :mod:`aep_pulumi.cli.export`."""

from __future__ import annotations

from .cli.export import main, run

__all__ = ["main", "run"]

if __name__ == "__main__":
    main()
