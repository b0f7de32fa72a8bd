"""What the dynamic door says when an operation fails: the configuration it ran with
(:mod:`aep_pulumi.core.ran_with`), and no traceback.

Why no traceback: Pulumi's dynamic provider host answers every exception with
``traceback.format_exc()``, so the CLI prints the host's frames before AEP's message.
"""

from __future__ import annotations

import sys
import types

from ..core.ran_with import with_configuration
from ..errors import AepError

__all__ = ["quiet_host_tracebacks", "with_configuration"]


class _CleanTraceback(types.ModuleType):
    """The host's ``traceback`` module, except that an :class:`AepError` is formatted as its
    message alone (every other exception keeps its full traceback)."""

    def __init__(self, real: types.ModuleType) -> None:
        super().__init__(real.__name__, real.__doc__)
        self.__dict__.update(real.__dict__)
        real_format_exc = real.format_exc

        def format_exc(limit: int | None = None, chain: bool = True) -> str:
            error = sys.exc_info()[1]
            if isinstance(error, AepError):
                return str(error)
            return str(real_format_exc(limit, chain))

        # In the instance's dict: the module's own `format_exc`, copied above, would hide a
        # method of the class.
        self.format_exc = format_exc


def quiet_host_tracebacks() -> None:
    """In Pulumi's dynamic provider host (``python -m pulumi.dynamic``), print our errors
    without the host's traceback. The host formats an exception with its module's
    ``traceback.format_exc()``; that one name is replaced, only in the host's module, and only
    when the module is the host as we know it (elsewhere this does nothing)."""
    host = sys.modules.get("__main__")
    if host is None or not hasattr(host, "_abort_with_traceback"):
        return
    if not hasattr(host, "DynamicResourceProviderServicer"):
        return
    real = getattr(host, "traceback", None)
    if isinstance(real, types.ModuleType) and not isinstance(real, _CleanTraceback):
        host.traceback = _CleanTraceback(real)  # type: ignore[attr-defined]
