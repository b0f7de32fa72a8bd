"""The dynamic front door: ``pulumi.dynamic`` adapters over the core.

Providers are pickled (by reference, since they live in this installed package) into every
resource's state. They therefore hold nothing from ``__init__``; ``configure()`` runs in the
provider host process and only records the ``aep:*`` config. ``__getstate__`` drops it, so even
a configured provider pickles to an empty shell. Each call converts Pulumi's values to plain
data (``pulumi.output.Unknown`` to the core's ``UNKNOWN``), runs the core, and wraps the result.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar, cast

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown as PulumiUnknown

from ..config import config_keys
from ..core.context import Context
from ..core.resource import ResourceCore
from ..core.values import UNKNOWN, is_unknown
from ..errors import AepError
from .messages import quiet_host_tracebacks, with_configuration


class PulumiLog:
    """``pulumi.log``: the CLI shows it as ``info:`` and ``warning:`` lines."""

    def info(self, message: str) -> None:
        pulumi.log.info(message)

    def warn(self, message: str) -> None:
        pulumi.log.warn(message)


# One context per configuration (stack config and `AEP_*` environment): every resource of one
# provider process shares it, and its registries, as they share the process.
_CONTEXTS: dict[tuple[tuple[str, str], ...], Context] = {}
_CONTEXTS_LOCK = threading.Lock()


def context_for(raw_config: Mapping[str, Any], key_names: list[str]) -> Context:
    """The process's context for this configuration."""
    environment = sorted((k, v) for k, v in os.environ.items() if k.startswith("AEP_"))
    key = (
        tuple(sorted((k, str(v)) for k, v in raw_config.items()))
        + tuple(("", name) for name in key_names)
        + tuple(environment)
    )
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
        if context is None:
            context = _CONTEXTS[key] = Context(raw_config, key_names, log=PulumiLog())
        return context


def to_core(value: Any) -> Any:
    """Pulumi's unknowns as the core's, at any depth."""
    if isinstance(value, PulumiUnknown):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {k: to_core(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_core(v) for v in value]
    return value


def to_pulumi(value: Any) -> Any:
    """The core's unknowns as Pulumi's, at any depth."""
    if is_unknown(value):
        return PulumiUnknown()  # type: ignore[no-untyped-call]
    if isinstance(value, Mapping):
        return {k: to_pulumi(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_pulumi(v) for v in value]
    return value


F = TypeVar("F", bound=Callable[..., Any])


def surface_errors(method: F) -> F:
    """Re-raise :class:`AepError` without the deep stack behind it.

    The provider host prints ``traceback.format_exc()`` for any exception; cutting the chain
    here leaves a short trace that ends with AEP's status, code, message and request id.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except AepError as exc:
            raise exc.with_traceback(None) from None

    return cast(F, wrapper)


class AepProviderBase(ResourceProvider):
    """A dynamic provider whose behaviour is ``core_class`` (see :mod:`aep_pulumi.core`)."""

    core_class: ClassVar[type[ResourceCore[Any, Any]]]
    _raw_config: dict[str, Any] | None = None
    _config_key_names: list[str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def configure(self, req: ConfigureRequest) -> None:
        """Record the stack's ``aep:*`` configuration (secret values arrive decrypted)."""
        self._raw_config = {
            key: value for key, _env in config_keys() if (value := req.config.get(key)) is not None
        }
        # Every stack key, so that a mistyped `aep:` key can be reported (the dynamic host's
        # Config keeps them in `_props`).
        self._config_key_names = sorted(getattr(req.config, "_props", {}) or {})
        quiet_host_tracebacks()

    def use_context(self, context: Context) -> None:
        """Run on ``context`` instead of the process's shared one (the test kit's mocks give
        each run its own; it is never pickled)."""
        self._own_context = context

    def context(self) -> Context:
        """The provider process's shared context (or the one :meth:`use_context` gave)."""
        own: Context | None = getattr(self, "_own_context", None)
        if own is not None:
            own.raw_config = dict(self._raw_config or {})
            own.config_key_names = list(self._config_key_names or [])
            return own
        return context_for(self._raw_config or {}, self._config_key_names or [])

    @property
    def core(self) -> ResourceCore[Any, Any]:
        return type(self).core_class(self.context())

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Checked inputs, with the sandbox they live in, and every failure."""
        core = self.core
        outcome = core.check(to_core(news))
        # The engine prints a failure keyed on a property as `property aep:endpoint value
        # {<nil>} has a problem`; one keyed on nothing as `resource 'x' has a problem: <reason>`,
        # and the reason names the configuration key already.
        # (An input the user named `aep:...` is no configuration key: it keeps its path.)
        failures = [
            CheckFailure("" if path.startswith("aep:") and path not in news else path, reason)
            for path, reason in outcome.failures
        ]
        inputs = dict(outcome.inputs)
        if inputs.get("sandbox_name") is None and not outcome.failures:
            # The configured sandbox, recorded: a change of `aep:sandboxName` then shows in the
            # engine's diff as `sandbox_name: "prod" => "dev"`, the reason of the replacement.
            inputs["sandbox_name"] = core.ctx.default_sandbox()
        return CheckResult(to_pulumi(inputs), failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        outcome = self.core.diff(to_core(olds), to_core(news))
        return DiffResult(
            changes=outcome.changes,
            replaces=outcome.replaces,
            delete_before_replace=outcome.delete_before_replace,
        )

    @surface_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        created = self.core.create(props)
        return CreateResult(created.id, created.outputs)

    def _explained(self, exc: AepError, operation: str) -> AepError:
        return with_configuration(exc, operation, self._raw_config or {})

    @surface_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            outcome = self.core.read(id_, props)
        except AepError as exc:
            raise self._explained(exc, "read") from None
        if outcome.id is None:
            return ReadResult("", {})
        inputs = dict(outcome.inputs) if outcome.inputs is not None else None
        return ReadResult(outcome.id, outcome.outputs, inputs)

    @surface_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self.core.update(id_, olds, news))

    @surface_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.core.delete(id_, props)
        except AepError as exc:
            raise self._explained(exc, "delete") from None
